"""maxClientCnxns: a client address may hold at most that many connections; one more is
closed by the server, and a freed slot can be used again. Runs against Conclave and Apache
ZooKeeper with the same expectations.

    /usr/bin/python3 max_client_cnxns_test.py --server zookeeper
"""
import unittest

from integ_util import make_server, parse_args, wait_for, wait_serving
from zkraw import ConnectionClosed, RawConnection

ARGS = None
LIMIT = 3


class MaxClientCnxnsTest(unittest.TestCase):
    def test_connection_over_the_limit_is_closed(self):
        # The harness sets maxClientCnxns=0 (unlimited); a later line overrides it.
        with make_server(ARGS.server, binary=ARGS.binary,
                         extra_cfg=[f"maxClientCnxns={LIMIT}"]) as srv:
            wait_serving(srv)
            conns = []
            try:
                for _ in range(LIMIT):
                    c = RawConnection(srv.port)
                    c.handshake()
                    conns.append(c)
                with self.assertRaises((ConnectionClosed, OSError)):
                    with RawConnection(srv.port) as extra:
                        extra.handshake()

                # Closing one frees a slot (the server notices the close asynchronously).
                conns.pop().close()

                def reconnects():
                    try:
                        c = RawConnection(srv.port)
                    except OSError:
                        return False
                    try:
                        c.handshake()
                    except (ConnectionClosed, OSError):
                        c.close()
                        return False
                    conns.append(c)
                    return True

                wait_for(reconnects, 10, "a connection after one was closed")
            finally:
                for c in conns:
                    c.close()


if __name__ == "__main__":
    ARGS, argv = parse_args(__doc__)
    unittest.main(argv=argv)
