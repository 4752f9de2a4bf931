"""Child process for the crash test: writes batches to a shard forever, printing the number of
each batch once write() returned (acknowledged), until it is killed."""

import sys

from influxlite import parse_points
from influxlite.seriesfile import SeriesFile
from influxlite.shard import Shard

root, start = sys.argv[1], int(sys.argv[2])
sf = SeriesFile(f"{root}/_series")
shard = Shard(f"{root}/1", 1, sf).open()
n = start
while True:
    body = b"".join(b"crash,batch=b%d,host=h%d v=%di,f=%d.5 %d\n" % (n, i, n, i, n * 1000 + i) for i in range(200))
    result = shard.write(parse_points(body))
    assert result.written == 200, result
    print(n, flush=True)
    n += 1
