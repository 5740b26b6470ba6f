# One transfer through python3-libvirt (the C client), as its documentation shows:
# recvAll/sparseRecvAll for downloads, sendAll/sparseSendAll for uploads. Used by
# `npm run bench:streams`:  python3 bench/streams-client.py up|down URI POOL VOL FILE sparse(0|1)
# FILE '-' is standard output. Prints one JSON line on stderr: seconds (open to close).
import json, os, sys, time
import libvirt

verb, uri, pool_name, vol_name, path, sparse = sys.argv[1:7]
sparse = sparse == '1'
t0 = time.perf_counter()
conn = libvirt.open(uri)
vol = conn.storagePoolLookupByName(pool_name).storageVolLookupByName(vol_name)
st = conn.newStream(0)
if verb == 'down':
    fd = 1 if path == '-' else os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    vol.download(st, 0, 0, libvirt.VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM if sparse else 0)
    def sink(stream, data, fd):
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        return 0
    if sparse:
        def hole(stream, length, fd):
            os.ftruncate(fd, os.lseek(fd, length, os.SEEK_CUR))
            return 0
        st.sparseRecvAll(sink, hole, fd)
    else:
        st.recvAll(sink, fd)
else:
    fd = os.open(path, os.O_RDONLY)
    vol.upload(st, 0, 0, libvirt.VIR_STORAGE_VOL_UPLOAD_SPARSE_STREAM if sparse else 0)
    def source(stream, nbytes, fd):
        return os.read(fd, nbytes)
    if sparse:
        def in_data(stream, fd):
            cur = os.lseek(fd, 0, os.SEEK_CUR)
            if cur >= os.fstat(fd).st_size:
                return [1, 0]
            try:
                data = os.lseek(fd, cur, os.SEEK_DATA)
            except OSError:
                data = os.fstat(fd).st_size  # ENXIO: a hole up to the end
            if data > cur:
                os.lseek(fd, cur, os.SEEK_SET)
                return [0, data - cur]
            hole = os.lseek(fd, cur, os.SEEK_HOLE)
            os.lseek(fd, cur, os.SEEK_SET)
            return [1, hole - cur]
        def skip(stream, length, fd):
            os.lseek(fd, length, os.SEEK_CUR)
            return 0
        st.sparseSendAll(source, in_data, skip, fd)
    else:
        st.sendAll(source, fd)
st.finish()
if fd > 2:
    os.close(fd)
conn.close()
sys.stderr.write(json.dumps({'seconds': time.perf_counter() - t0}) + '\n')
