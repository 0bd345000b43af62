/* test_rxstamp.c: kernel receive timestamps moved onto CLOCK_MONOTONIC. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "rxstamp.h"
#include "tap.h"

#define NS	1000000000LL

/* A connected loopback TCP pair: *srv accepted, *cli connected. */
static int
tcp_pair(int *srv, int *cli)
{
	struct sockaddr_in	 a;
	socklen_t		 len = sizeof a;
	int			 l;

	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((l = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    bind(l, (struct sockaddr *)&a, sizeof a) != 0 || listen(l, 1) != 0 ||
	    getsockname(l, (struct sockaddr *)&a, &len) != 0 ||
	    (*cli = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    connect(*cli, (struct sockaddr *)&a, sizeof a) != 0 ||
	    (*srv = accept(l, NULL, NULL)) < 0)
		return -1;
	close(l);
	return 0;
}

TEST(clock)
{
	struct rxclock	 c = { 0, 0 };
	int64_t		 now, rt;

	rxclock_update(&c);
	ok(c.at > 0, "the offset is read on first use");
	now = clock_mono_ns();
	rt = now + c.off;
	ok(llabs(rxclock_mono(&c, rt) - now) < NS / 1000,
	    "a realtime instant maps back onto its monotonic one");
	ok(rxclock_mono(&c, rt + 500000) <= clock_mono_ns(),
	    "up to 1 ms ahead (the offset's error) is taken as now");
	is_int(rxclock_mono(&c, rt + 5 * NS / 1000), -1,
	    "over 1 ms in the future is refused");
	is_int(rxclock_mono(&c, rt - 11 * NS), -1,
	    "over 10 s in the past is refused");
	is_int(rxclock_mono(&c, -1), -1, "no stamp stays no stamp");
}

TEST(socket)
{
	struct rxclock	 c = { 0, 0 };
	int64_t		 before, after, t, rt;
	char		 buf[16];
	ssize_t		 n;
	int		 srv, cli;

	if (tcp_pair(&srv, &cli) != 0) {
		ok(0, "loopback TCP pair");
		return;
	}
	rxclock_read(&c);
	is_int(rxstamp_peek(&c, srv), -1, "nothing received: no stamp");
	ok(rxstamp_enable(srv) == 0, "SO_TIMESTAMPNS enabled");
	before = clock_mono_ns();
	ok(write(cli, "hello", 5) == 5, "client sends");
	usleep(20000);
	after = clock_mono_ns();
	t = rxstamp_peek(&c, srv);
	ok(t >= before - NS / 1000 && t <= after,
	    "peeked receive time lies between send and now (%lld in "
	    "[%lld, %lld])", (long long)t, (long long)before,
	    (long long)after);
	ok(after - t >= 15000000, "the stamp is the arrival, not the read");
	n = rxstamp_recv(srv, buf, sizeof buf, 0, &rt);
	ok(n == 5 && memcmp(buf, "hello", 5) == 0,
	    "the peek left the data for the reader");
	ok(llabs(rxclock_mono(&c, rt) - t) < NS / 1000,
	    "recv's stamp is the peeked one");
	close(cli);
	n = rxstamp_recv(srv, buf, sizeof buf, 0, &rt);
	ok(n == 0 && rt == -1, "end of stream: 0 and no stamp");
	close(srv);
}

int
main(void)
{
	RUN(clock);
	RUN(socket);
	return tap_done();
}
