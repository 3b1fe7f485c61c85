"""`pppemu client --ping`: an echo lost while the peer brings its interface up is retried."""
import pytest

from pppemu.app import run_client as cmd_client
from pppemu.wire import icmp


class Console:
    def __init__(self):
        self.lines = []

    def say(self, line):
        self.lines.append(line)


class Up:
    ip, gateway = "10.0.0.100", "10.0.0.1"


class Peer:
    """Stands in for the role and the loop: answers echoes except the ones it is told to lose."""

    def __init__(self, lose: set[int], replies: dict[int, float]):
        self.lose, self.replies, self.sent = lose, replies, []

    def send_packet(self, session, protocol, packet):
        seq = int.from_bytes(packet[26:28], "big")
        self.sent.append((icmp.parse_echo_reply(packet[:20] + b"\0" + packet[21:]), seq))
        if len(self.sent) not in self.lose:
            self.replies[seq] = 0.0

    def flush(self):
        pass

    def run(self, until=lambda: False, timeout=None):
        return until()


# lose: which transmissions (1-based) the peer drops
@pytest.mark.parametrize("lose, answered, transmissions", [
    (set(), 3, 3), ({1}, 3, 4), ({1, 2}, 3, 5), ({1, 2, 3}, 2, 5), ({2, 3, 4}, 2, 5), ({1, 3}, 3, 5)])
def test_each_probe_is_retried_until_answered_or_out_of_tries(lose, answered, transmissions):
    replies: dict[int, float] = {}
    peer, console = Peer(lose, replies), Console()
    ok = cmd_client.ping(peer, peer, None, Up(), 3, 0x1234, replies, console, [])
    assert ok == (answered == 3)
    assert console.lines[-1] == f"ping 10.0.0.1: {answered}/3 answered"
    assert len(peer.sent) == transmissions  # a retry per loss, at most 3 per probe, none after a reply
    seqs = [seq for _, seq in peer.sent]
    assert seqs == list(range(1, len(seqs) + 1))  # each transmission has its own sequence number
    assert all(parsed == ("10.0.0.100", 0x1234, seq) for parsed, seq in peer.sent)
