#!/usr/bin/env bash
# Installs the Debian packages the integration suite needs, only when missing.
# (placeholder: filled in by the harness work)
exit 0
