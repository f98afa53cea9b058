"""Network partitions between ensemble members without iptables or root: every member reaches
every other through a proxy of ours, and a partition holds the traffic of the links that cross
it.

Each member's zoo.cfg lists itself at its real quorum and election ports and every other member
at the ports of a proxy that forwards to that member's real ones (a member trusts its own
server.N lines for where to dial; the address in the peer handshake is informational). One
proxy per ordered pair (i dials j), per port.

A cut link HOLDS the bytes of its open connections instead of dropping them, like a partition
TCP has not noticed: nothing crosses, both ends see silence, and connections stay open; after
heal() the held bytes flow in order, as retransmissions would deliver them. So only the
protocol's own timeouts (pings, syncLimit, initLimit) notice the partition, as with iptables
-j DROP. A NEW connection across a cut fails at once (closed on accept): with DROP its SYN
would go unanswered and the dialer give up, so no handshake written during the partition may
arrive after it (holding those would replay stale handshakes at heal time, which no network
does).

    with PartitionedEnsemble(binary, participants=5) as ens:
        ens.start()
        ens.partition([1, 2], [3, 4, 5])   # 1 and 2 hear nothing from 3, 4, 5, nor they from 1, 2
        ...
        ens.heal()
"""
import select
import socket
import threading

from zkensemble import Ensemble, free_ports

CHUNK_BYTES = 65536
POLL_S = 0.1  # how often blocked proxy threads look at the shutdown flag


class Link:
    """A proxy from a listening port to `target_port` on loopback; pass-through until cut."""

    def __init__(self, listen_port, target_port):
        self.target_port = target_port
        self.open = threading.Event()
        self.open.set()
        self.closing = threading.Event()
        self.lock = threading.Lock()
        self.sockets = set()
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", listen_port))
        self.listener.listen(16)
        self.listener.settimeout(POLL_S)
        self.thread = threading.Thread(target=self.accept_loop, daemon=True)
        self.thread.start()

    def accept_loop(self):
        while not self.closing.is_set():
            try:
                client, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            if not self.open.is_set():
                client.close()
                continue
            try:
                server = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            except OSError:
                client.close()  # the member is down: the dialer sees a refused connection
                continue
            with self.lock:
                self.sockets.update((client, server))
            for src, dst in ((client, server), (server, client)):
                threading.Thread(target=self.pump, args=(src, dst), daemon=True).start()

    def pump(self, src, dst):
        """Copies src to dst. The sockets stay blocking (a timeout is per socket, and the pump
        of the other direction shares them): select() bounds the wait for data, and a send
        blocks as long as the receiver does not read, as TCP would make it."""
        try:
            while not self.closing.is_set():
                readable, _, _ = select.select([src], [], [], POLL_S)
                if not readable:
                    continue
                data = src.recv(CHUNK_BYTES)
                if not data:
                    break
                # Held while cut: the chunk waits here, and the sender's buffers fill behind it.
                while not self.open.wait(POLL_S):
                    if self.closing.is_set():
                        return
                dst.sendall(data)
        except (OSError, ValueError):
            pass  # closed under us (by the other pump or close()), or reset by a member
        finally:
            self.drop(src, dst)

    def drop(self, *socks):
        with self.lock:
            for s in socks:
                self.sockets.discard(s)
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()

    def cut(self):
        self.open.clear()

    def heal(self):
        self.open.set()

    def close(self):
        self.closing.set()
        self.open.set()
        self.listener.close()
        with self.lock:
            socks = list(self.sockets)
        self.drop(*socks)


class PartitionedEnsemble(Ensemble):
    def __init__(self, binary, **kw):
        self.links = {}  # (dialer id, dialed id) -> (quorum Link, election Link)
        self.proxy_ports = {}
        super().__init__(binary, **kw)

    def write_config(self, member, **kw):
        if not self.proxy_ports:
            ids = list(self.members)
            pairs = [(i, j) for i in ids for j in ids if i != j]
            # Not a port a member will listen on (free_ports only knows what is bound now).
            taken = {p for m in self.members.values()
                     for p in (m.client_port, m.quorum_port, m.election_port)}
            ports = free_ports(2 * len(pairs))
            while taken & set(ports):
                ports = free_ports(2 * len(pairs))
            for n, pair in enumerate(pairs):
                self.proxy_ports[pair] = (ports[2 * n], ports[2 * n + 1])
        kw.setdefault("extra_cfg", self.extra_cfg)
        lines = []
        for m in self.members.values():
            if m.id == member.id:
                lines.append(m.server_line())
                continue
            quorum, election = self.proxy_ports[(member.id, m.id)]
            role = ":observer" if m.observer else ""
            lines.append(f"server.{m.id}=127.0.0.1:{quorum}:{election}{role}")
        member.write_config(lines, self.tick_ms, self.init_limit, self.sync_limit, **kw)

    def start(self, ids=None):
        if not self.links:
            for (i, j), (quorum, election) in self.proxy_ports.items():
                target = self.members[j]
                self.links[(i, j)] = (Link(quorum, target.quorum_port),
                                      Link(election, target.election_port))
        super().start(ids)

    def crossing(self, side_a, side_b):
        for (i, j), links in self.links.items():
            if (i in side_a and j in side_b) or (i in side_b and j in side_a):
                yield from links

    def partition(self, side_a, side_b):
        """Holds everything between a member of side_a and one of side_b, both ways."""
        for link in self.crossing(side_a, side_b):
            link.cut()

    def heal(self, side_a=None, side_b=None):
        """Lets the held traffic between side_a and side_b flow again (default: everywhere)."""
        if side_a is None:
            side_a = side_b = list(self.members)
        for link in self.crossing(side_a, side_b):
            link.heal()

    def cleanup(self):
        reports = super().cleanup()
        for links in self.links.values():
            for link in links:
                link.close()
        return reports
