"""Writes tests/fixtures/lp_corpus.lp, tricky lines whose InfluxDB answers (lpdump output) are
committed beside it. Regenerate both with: python tests/make_corpus.py && tests/oracle.py --refresh"""
import pathlib

L = []
def add(*lines): L.extend(lines)

# valid basics and all field types
add(b"cpu value=1", b"cpu,host=serverA,region=us-west value=1.0 1000000000",
    b"cpu,host=a,region=west usage=1.5,n=3i,ok=t,s=\"hi \\\"there\\\"\" 1500000000000000000",
    b"cpu,last=1,first=2 value=1i", b"cpu,zz=1,aa=2,mm=3 value=1.5,s=\"str\",b=t,i=-3i 4",
    b"cpu value=1 -1", b"cpu value=1 9223372036854775806", b"cpu value=1 -9223372036854775806",
    b"cpu    value=1.0     123", b"cpu value=1 12   ", b"cpu value=1 ", b"cpu value=1\t",
    b"   cpu value=2 5", b"\tcpu value=3 6", b"\x00cpu value=4 7")
# floats
for v in [b"1", b"-1.0", b".1", b"1.", b"1e4", b"1E4", b"1.0e-4", b"6.632243e+06", b".5e3", b"-0",
          b"1.7976931348623157e308", b"11.7976931348623157e308", b"1e500", b"1e", b"1e-400", b"0000000000000000000000000001.5",
          b"1234567890123456789012345", b"+1", b"0x10", b"1.1.1", b"NaN", b"nan", b"nAn", b"-Inf", b"Inf", b"inf",
          b"-", b"- ", b".", b"-.", b"1a", b"-e-e-e", b"42+3", b"1e5e5", b".e1", b"-e", b"1.e5", b"1e+-5", b"1-", b"n", b"N"]:
    add(b"f v=" + v + b" 1")
# integers / unsigned
for v in [b"1i", b"-1i", b"0009223372036854775807i", b"9223372036854775807i", b"9223372036854775808i",
          b"-9223372036854775808i", b"-9223372036854775809i", b"1.0i", b"1ii", b"9ie10", b"9e10i", b"1i2", b"-i",
          b"1u", b"-1u", b"18446744073709551615u", b"18446744073709551616u", b"1iu", b"-123u", b".u", b"u", b"i"]:
    add(b"n v=" + v + b" 2")
# booleans
for v in [b"t", b"T", b"true", b"True", b"TRUE", b"f", b"F", b"false", b"False", b"FALSE", b"tRUE", b"tru", b"a", b"truee", b"fals", b"yes"]:
    add(b"b v=" + v + b" 3")
add(b"bools true=true,t=t,T=T,TRUE=TRUE,True=True,false=false,f=f,F=F,FALSE=FALSE,False=False 3",
    b"b v=TRUE,w=True,x=tRUE 3")
# strings
add(b"s v=\"abc", b"s v=\"test\"\"", b"s str=\"foo \\\" bar\" 1", b"s str=\"foo\\,bar\" 1", b"s str=\"foo,bar\" 1",
    b"s str=\"foo\\\\\",str2=\"bar\" 1", b"s value=\"test\\\\\\\"\" 1", b"s value=\"test\\\\\" 1", b"s value=\"test\\\"\" 1",
    b"s value=\"{Hello\\\"{,}\\\" World}\" 1", b"s v=\"a\nb\" 8", b"s v=\"\" 9", b"s v=\"abc\"def,w=1 10", b"s v=\"a b=c,d\" 11",
    b"s v=\"x\"\\,,b=1 12", b"s v=\"unicode \xc3\xa9\xe2\x82\xac\" 13", b"s v=\"bad \xff\xfe utf8\" 14")
# structure errors
add(b",cpu v=1", b"cpu", b"cpu_load_short,host=server01,region=us-west", b"cpu,host==", b"=",
    b"cpu, v=1", b"cpu,", b"cpu,,,", b"cpu,host=serverA,=us-east value=1i",
    b"cpu,host v=1", b"cpu,host= v=1", b"cpu,host", b"cpu,host=", b"cpu,host=serverA,region=,zone=us-west value=1i",
    b"cpu,host=a=b v=1", b"cpu,host=f\\==o,", b"cpu,host=a,host=b v=1", b"cpu,b=2,c=3,b=1 v=1", b"cpu,b=2,b=1,c=3 v=1",
    b"cpu,host=serverA,host=serverB value=1i 1000000000",
    b"cpu =1", b"cpu value=123i,=456i", b"cpu v=", b"cpu value= 1000000000i", b"cpu value=,value2=1i",
    b"cpu v=1,", b"cpu v=1,b", b"multi2 v=1,, 3", b"tab\tv=1", b"cpu v=1\t100", b"tab\tv=1 1",
    b"cpu v=1 abc", b"cpu v=1 1.5", b"a v=1 0\\", b"cpu v=1 12 13", b"cpu v=1 -", b"cpu v=1 -/", b"cpu v=1 -1?",
    b"cpu v=1 1-", b"cpu v=1 9223372036854775807 12", b"cpu value=1 9223372036854775808", b"cpu value=1 -92233720368547758078",
    b"cpu value=1 -9223372036854775807", b"cpu value=1 -9223372036854775808", b"cpu value=1 99999999999999999999",
    b"cpu ", b"cpu  ", b"bs\\ v=1 1", b"m f=\"blah\"=123,r 1531703600000000000", b"cpu \"a=1", b"cpu \"\\, '= \"\\ v=1.0",
    b"cpu \t=1", b"cpu a\\\\=1", b"cpu a\\\\=1,b=2")
# escaping
add(b"foo\\,bar value=1i", b"cpu\\ load,region=east value=1.0", b"cpu=load,region=east value=1.0",
    b"cpu,region\\,zone=east value=1.0", b"cpu,region\\ zone=east value=1.0", b"cpu,reg\\\\=ion=east value=1.0",
    b"cpu,regions=\\\\ east value=1.0", b"cpu,regions=east\\\\  value=1.0", b"cpu,regions=\\\\,\\,\\=east value=1.0",
    b"cpu,regions=eas\\t value=1.0", b"cpu,regions=east value\\,ms=1.0", b"cpu \\a=1i", b"cpu=load,equals\\=foo=tag\\=value value=1i",
    b"\"cpu\",\"host\"=\"serverA\" \"f\"=1 5", b"cpu\\=x,a=1 v=1 6", b"q\"m,\"t\"=\"v\" v=1 7",
    b"esc\\ m\\,x,tag\\ k\\=1=v\\,a\\ b\\=c v=1 8", b"weird\\,m,k\\=x=v\\ 1 f\\ g=1 7",
    b"cpu,host=serverA,\\ =us-east value=1i", b"cpu,t=a\\\\,u=b v=1", b"cpu,t=a\\\\ v=1", b"m\\\\ x v=1",
    b"cpu,b=1,a\\ b=2,a=3 v=1", b"cpu,a\\ =1,a!=2 v=1", b"cpu,z=1,a\\,b=2,a=3,a\\=c=4 v=1 1",
    b"nul\x00x v=1 1", b"m\xff\xfe,t\xfa=v\xfb f\xfc=1 2", b"caf\xc3\xa9,h\xc3\xb4te=\xc3\xa0 v=1 3",
    b"t159,label=hey\\ \"ya a=1i,value=0i", b"baz,mytag=\"a x=1 1441103862125", b"baz,mytag=a z=1 1441103862126",
    b"dup a=1,a=2 6", b"dup b=1i,b=2 6", b"cpu value=1 1 \\", b"x\\\\ y=1", b"a\\ v=1,b\\\\=2 1")
# comments and blank
add(b"# a comment", b"   # indented comment", b"\t# tab comment", b"", b"   ", b"cpu v=1 # not a comment")
# many tags (sorted and unsorted), 99 tags (100 panics in 1.6.7 so it is tested without the oracle)
add(b"many," + b",".join(b"t%03d=x" % i for i in range(99)) + b" v=0 1")
add(b"many," + b",".join(b"t%03d=x" % i for i in reversed(range(99))) + b" v=0 1")
add(b"many," + b",".join(b"t%d=x" % i for i in range(101, 360)) + b" v=0 1")
pathlib.Path(__file__).with_name("fixtures").joinpath("lp_corpus.lp").write_bytes(b"\n".join(L) + b"\n")
print(len(L), "lines")
