# The gateway's JVM options, sourced by bin/tollgate and by the bench's bare relay (which must run
# under the same ones to be the floor under the gateway). Sets the array jvm_options.
#
# Defaults measured with `make bench` on 2 cores: one carrier thread fewer than cores leaves a core to
# the kernel's network work and the socket pollers, and cut CPU per request at 2,000 req/s by a third;
# the serial collector suits a small, short-lived heap. A young generation of 128 MB (fixed: the serial
# collector never resizes it between full collections) keeps the request log's and the ledger's
# batches from being promoted at high rates: at ~8,600 req/s the old generation then grew 1.4 MB/s
# instead of 14 MB/s, and peak RSS was 326 MB instead of 597 MB. TOLLGATE_JAVA_OPTS comes last and wins.
cores=$(nproc 2>/dev/null || echo 2)
carriers=$(( cores > 1 ? cores - 1 : 1 ))
# At 2,000 req/s a request's CPU is mostly wake-ups and cold caches. Two flags cut it by 11% there
# (four alternating rounds, everything on: 159 -> 142 µs): socket readiness goes from the kernel to
# a platform poller thread that unparks the request's virtual thread (pollerMode=1) instead of through
# a master poller and a poller virtual thread, and the heap and code sit on transparent huge pages,
# so fewer TLB misses each time a request finds its caches cold.
# Young pauses at 2,000 req/s varied from 1.5 to 30 ms between identical runs: each collection copied
# ~6 MB of survivors back and forth for up to 15 ages although the live set did not grow (dead objects
# promoted early keep young ones reachable until they too are promoted). Promoting what survives one
# collection (MaxTenuringThreshold=1) and touching the heap's pages at start (AlwaysPreTouch, so no
# pause ever waits on the kernel for a fresh page) brought pauses to 1.1-1.6 ms median, 1.9-2.8 ms
# longest, in three alternating rounds of 30 s (base: 3-17 ms median, 13-30 ms longest). MetaspaceSize
# keeps the full collection that metaspace's first threshold forces a few seconds after start away.
# --enable-native-access: the request log's SQLite driver loads its native library (else a warning at start).
jvm_options=(-XX:+UseSerialGC -Xms192m -Xmn128m -Xmx1g -XX:MaxTenuringThreshold=1 -XX:+AlwaysPreTouch
  -XX:MetaspaceSize=64m --enable-native-access=ALL-UNNAMED
  "-Djdk.virtualThreadScheduler.parallelism=$carriers" -Djdk.pollerMode=1 -XX:+UseTransparentHugePages)
# shellcheck disable=SC2206 # TOLLGATE_JAVA_OPTS is a list of options
jvm_options+=(${TOLLGATE_JAVA_OPTS:-})
