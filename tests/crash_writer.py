"""Child process for the crash tests: writes batches to a shard forever, printing the number of
each batch once write() returned (acknowledged), until it is killed. With ``deletes`` it uses a
small cache (so write-outs, merges and tombstones happen all the time) and deletes every 5th
batch it wrote a little earlier, printing ``D<batch>`` before and ``d<batch>`` once the delete
returned."""

import sys

from influxlite import parse_points
from influxlite.seriesfile import SeriesFile
from influxlite.shard import Shard

root, start = sys.argv[1], int(sys.argv[2])
deletes = len(sys.argv) > 3 and sys.argv[3] == "deletes"
sf = SeriesFile(f"{root}/_series")
options = {"cache_max_size": 48 << 10} if deletes else {}
shard = Shard(f"{root}/1", 1, sf, **options).open()
n = start
while True:
    body = b"".join(b"crash,batch=b%d,host=h%d v=%di,f=%d.5 %d\n" % (n % 7, i, n, i, n * 1000 + i) for i in range(200))
    result = shard.write(parse_points(body))
    assert result.written == 200, result
    print(n, flush=True)
    if deletes and n % 5 == 0 and n - 3 >= start:
        print(f"D{n - 3}", flush=True)  # about to delete: that batch may be gone or whole
        shard.delete("crash", None, (n - 3) * 1000, (n - 3) * 1000 + 999)
        print(f"d{n - 3}", flush=True)
    n += 1
