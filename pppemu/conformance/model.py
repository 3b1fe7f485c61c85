"""What the checker remembers: discovery per host, and per PPPoE session each peer's view of
the negotiations it takes part in. Only what a rule needs; everything keyed, nothing scanned."""
from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass, field

from pppemu.wire import mac_str
from pppemu.wire.const import PROTO_LCP, TAG_HOST_UNIQ, TAG_RELAY_SESSION_ID

CLIENT = "client"
AC = "ac"
UNKNOWN = "unknown"


@dataclass(slots=True)
class Frame:
    number: int
    ts: float
    dst: bytes
    src: bytes
    vlan: tuple[int, ...]  # VLAN ids, outermost first
    ethertype: int
    payload: bytes


@dataclass(slots=True)
class Sent:
    """One discovery packet as sent: its tags and the frame it came in."""
    frame: Frame
    tags: list[tuple[int, bytes]]
    # Its Relay-Session-Id was added by an agent between the capture point and the AC: a PADO whose
    # tag the host's PADI did not carry, or the host's PADR echoing such a PADO's (RFC 2516 Appendix A).
    relay_added: bool = False

    def values(self, tag_type: int) -> list[bytes]:
        return [v for t, v in self.tags if t == tag_type]

    def first(self, tag_type: int) -> bytes | None:
        for t, v in self.tags:
            if t == tag_type:
                return v
        return None

    def identity(self) -> tuple[bytes | None, bytes | None]:
        """What ties a discovery answer to its request: Host-Uniq (the host's own) and
        Relay-Session-Id (an agent's, naming the host behind it)."""
        return self.first(TAG_HOST_UNIQ), self.first(TAG_RELAY_SESSION_ID)


IDENTITIES = 32    # (Host-Uniq, Relay-Session-Id) pairs remembered per host and table
PER_IDENTITY = 4   # packets remembered per pair: retransmissions, PADOs with cookies of their own
FORGET_WINDOW = 30.0  # seconds after which an answer to a forgotten request is no longer expected
ACS_PER_HOST = 16  # AC MACs whose PADOs / PADRs are remembered per host


class Recent:
    """A host's recent discovery packets of one kind, keyed by what ties answers to them.

    Bounded: past IDENTITIES pairs the least recently seen is forgotten, and for FORGET_WINDOW
    seconds after the packets forgotten were sent only an answer with exactly the same pair is
    matched, since a looser match might pick another request than the one answered."""
    __slots__ = ("by_id", "forgot_ts")

    def __init__(self) -> None:
        self.by_id: OrderedDict[tuple[bytes | None, bytes | None], deque[Sent]] = OrderedDict()
        self.forgot_ts: float | None = None  # when the latest of the packets forgotten was sent

    def __bool__(self) -> bool:
        return bool(self.by_id)

    def add(self, sent: Sent) -> None:
        key = sent.identity()
        recent = self.by_id.get(key)
        if recent is None:
            if len(self.by_id) >= IDENTITIES:
                _, old = self.by_id.popitem(last=False)
                ts = old[-1].frame.ts
                self.forgot_ts = ts if self.forgot_ts is None else max(self.forgot_ts, ts)
            recent = self.by_id[key] = deque(maxlen=PER_IDENTITY)
        else:
            self.by_id.move_to_end(key)
        recent.append(sent)

    def newest(self, uniq: bytes | None = None) -> Sent | None:
        """The latest packet, or the latest with this Host-Uniq."""
        for key in reversed(self.by_id):
            if uniq is None or key[0] == uniq:
                return self.by_id[key][-1]
        return None

    def match(self, answer: Sent, tie: int | None = None) -> Sent | None:
        """The packet `answer` answers, or None when it cannot be told.

        The same Host-Uniq and Relay-Session-Id first; otherwise, while nothing recent was forgotten,
        the one pair with the answer's Host-Uniq, else with its Relay-Session-Id, else the only pair
        there is (an answer that changed or dropped a tag still answers something, and is judged).
        Among the packets of a pair, the latest one whose `tie` tag (the AC-Cookie, for a PADR)
        equals the answer's."""
        uniq, relay = answer.identity()
        recent = self.by_id.get((uniq, relay))
        if recent is None:
            if self.forgot_ts is not None and answer.frame.ts - self.forgot_ts < FORGET_WINDOW:
                return None
            keys = list(self.by_id)
            if uniq is not None and any(k[0] == uniq for k in keys):
                keys = [k for k in keys if k[0] == uniq]
            elif relay is not None and any(k[1] == relay for k in keys):
                keys = [k for k in keys if k[1] == relay]
            if len(keys) != 1:
                return None  # several requests it might answer: none is judged
            recent = self.by_id[keys[0]]
        if tie is None:
            return recent[-1]
        wanted = answer.first(tie)
        for sent in reversed(recent):
            if sent.first(tie) == wanted:
                return sent
        # The one it echoes may be among those dropped: judge only when none can have been.
        return recent[-1] if len(recent) < PER_IDENTITY else None


@dataclass(slots=True)
class Host:
    """Discovery as seen for one host MAC on one VLAN stack."""
    padis: Recent = field(default_factory=Recent)  # its recent PADIs
    pados: dict = field(default_factory=dict)   # AC MAC -> Recent PADOs of that AC to this host
    padrs: dict = field(default_factory=dict)   # AC MAC -> Recent PADRs of this host to that AC
    forgot_ac: bool = False  # an AC MAC was dropped from pados or padrs past ACS_PER_HOST

    def add(self, table: dict, ac: bytes, sent: Sent) -> None:
        recent = table.get(ac)
        if recent is None:
            if len(table) >= ACS_PER_HOST:
                table.pop(next(iter(table)))
                self.forgot_ac = True
            recent = table[ac] = Recent()
        elif next(reversed(table)) != ac:
            table[ac] = table.pop(ac)  # the least recently used AC goes first
        recent.add(sent)


class Negotiation:
    """One sender's side of one control protocol (LCP or an NCP), in the RFC 1661 sense.

    Only the sender's own packets and the peer's answers move it, so "Opened" here is what the
    sender itself must have seen before it may act as Opened (RFC 1661 section 4).
    """
    __slots__ = ("known", "requests", "last_request", "peer_spoke", "unanswered", "ack_sent", "ack_rcvd",
                 "acked", "granted", "peer_options", "terms", "last_term", "peer_spoke_since_term", "term_unanswered",
                 "replies", "echoes", "answered", "peer_request_ts", "refused", "peer_requested",
                 "max_configure_reported", "max_terminate_reported")

    def __init__(self, known: bool):
        self.known = known              # False while the capture has not shown where it stands
        self.requests: dict[int, bytes] = {}   # identifier -> options of its Configure-Requests
        self.last_request: tuple[int, bytes, float, int] | None = None  # ident, options, ts, frame
        self.peer_spoke = False         # the peer sent something on this protocol since the last request
        self.unanswered = 0             # Configure-Requests since the peer last answered one
        self.ack_sent = False           # it has acknowledged the peer's request
        self.refused = False            # its latest answer to the peer was a Nak or Reject
        self.peer_requested = False     # the peer has sent a Configure-Request
        self.ack_rcvd = False           # the peer acknowledged its current request
        self.acked: list[tuple[int, bytes]] | None = None    # its own options, as the peer acknowledged them
        self.granted: list[tuple[int, bytes]] | None = None  # the peer's options it acknowledged
        self.peer_options: list[tuple[int, bytes]] | None = None  # options of the peer's latest request
        self.terms: dict[int, int] = {}  # identifier -> frame of its pending Terminate-Requests
        self.last_term: tuple[int, bytes, float, int] | None = None
        self.peer_spoke_since_term = False
        self.term_unanswered = 0
        self.replies: dict[tuple[int, bytes], dict[int, int]] = {}  # peer request -> {reply code: frame}
        self.echoes: dict[int, int] = {}  # identifier -> frame of its Echo-Requests
        self.answered: dict[int, float] = {}  # request identifier -> when the peer validly answered it
        self.peer_request_ts: float | None = None  # when the peer last sent a Configure-Request
        self.max_configure_reported = False
        self.max_terminate_reported = False

    @property
    def opened(self) -> bool:
        """Could it be Opened? Its own Configure-Ack may be missing from a capture taken past a loss,
        so an unanswered request of the peer counts as possibly acknowledged; a Nak or Reject does not."""
        if not (self.known and self.ack_rcvd):
            return False
        return self.ack_sent or (self.peer_requested and not self.refused)

    def agreed(self) -> list[tuple[int, bytes]] | None:
        """The peer's options it acknowledged; the peer's latest request when its own Ack may be the
        frame missing from the capture (see `opened`)."""
        if self.granted is not None or self.ack_sent:
            return self.granted
        return self.peer_options if self.peer_requested and not self.refused else None

    def close(self) -> None:
        """The layer went down: what follows is a new negotiation."""
        self.ack_sent = self.ack_rcvd = False
        self.refused = self.peer_requested = False
        self.answered.clear()
        self.acked = None
        self.granted = None


class Peer:
    """One end of a PPPoE session."""
    __slots__ = ("mac", "negs", "recent", "stopped", "challenges", "challenge_values", "responses",
                 "pap_requests", "auth_sent", "auth_rcvd", "auth_refused", "peer_answers", "early_ncp",
                 "first_lcp_request", "known_start")

    def __init__(self, mac: bytes, known_start: bool):
        self.mac = mac
        self.known_start = known_start
        self.negs: dict[int, Negotiation] = {}
        self.recent: dict[int, deque] = {}  # protocol -> (frame, information) of its latest packets
        self.stopped: dict[int, tuple[float, int]] = {}  # protocol -> (ts, frame) of the peer's Protocol-Reject
        self.challenges: dict[int, tuple[bytes, int]] = {}  # CHAP ident -> (value, frame) it sent
        self.challenge_values: dict[bytes, int] = {}  # CHAP value -> ident, for uniqueness
        self.responses: dict[int, int] = {}  # CHAP ident -> frame of its Responses
        self.pap_requests: dict[int, int] = {}  # PAP ident -> frame of its Authenticate-Requests
        self.auth_sent = False  # it sent CHAP Success / PAP Ack (it is satisfied with the peer)
        self.auth_rcvd = False  # it received CHAP Success / PAP Ack (the peer is satisfied with it)
        self.auth_refused = False  # it sent CHAP Failure / PAP Nak
        self.peer_answers = 0  # CHAP Responses or PAP Authenticate-Requests the peer sent it
        self.early_ncp = 0  # an NCP packet it sent before its own Success/Ack showed on the wire
        self.first_lcp_request = True

    def neg(self, protocol: int) -> Negotiation:
        n = self.negs.get(protocol)
        if n is None:
            # A session whose start was seen begins in the Initial state everywhere; otherwise
            # LCP is unknown until it is renegotiated, and so are the NCPs.
            n = self.negs[protocol] = Negotiation(self.known_start)
        return n

    def lcp(self) -> Negotiation:
        return self.neg(PROTO_LCP)

    def reset_above_lcp(self) -> None:
        """LCP left Opened (This-Layer-Down): the NCPs and authentication start over."""
        for protocol, n in self.negs.items():
            if protocol != PROTO_LCP:
                n.close()
        self.auth_sent = self.auth_rcvd = self.auth_refused = False
        self.peer_answers = 0
        self.early_ncp = 0


class Session:
    """A PPPoE session: a VLAN stack, a host MAC, an AC MAC and a session id (RFC 2516 section 4)."""
    __slots__ = ("vlan", "sid", "client", "ac", "peers", "from_start", "max_payload", "padt", "ended_reported",
                 "pads_frame", "dhcpv6", "strays")

    def __init__(self, vlan: tuple[int, ...], sid: int, client: bytes | None, ac: bytes | None, from_start: bool):
        self.vlan = vlan
        self.sid = sid
        self.client = client
        self.ac = ac
        self.from_start = from_start
        self.peers: dict[bytes, Peer] = {}
        self.max_payload: int | None = None  # RFC 4638 PPP-Max-Payload both ends agreed on
        self.padt: tuple[float, int, bytes] | None = None  # ts, frame, sender of the PADT
        self.ended_reported = False
        self.pads_frame = 0
        self.dhcpv6: dict = {}  # transaction id -> the latest client message with it (rfc8415.Asked)
        self.strays: tuple[tuple[int, ...], ...] = ()  # other VLAN stacks the AC sent its frames on, reported

    def peer(self, mac: bytes) -> Peer:
        p = self.peers.get(mac)
        if p is None:
            p = self.peers[mac] = Peer(mac, self.from_start)
        return p

    def side(self, mac: bytes) -> str:
        if mac == self.client:
            return CLIENT
        if mac == self.ac:
            return AC
        return UNKNOWN

    def learn(self, mac: bytes, role: str, other: bytes) -> None:
        """Fill in the roles when something on the wire reveals them."""
        if self.client is None and self.ac is None:
            if role == AC:
                self.ac, self.client = mac, other
            elif role == CLIENT:
                self.client, self.ac = mac, other

    def label(self, a: bytes, b: bytes) -> str:
        first, second = (self.client, self.ac) if self.client and self.ac else (a, b)
        return f"{mac_str(first)} <-> {mac_str(second)} sid 0x{self.sid:04x}{vlan_label(self.vlan)}"


def vlan_label(vlan: tuple[int, ...]) -> str:
    return " vlan " + ".".join(str(v) for v in vlan) if vlan else ""


def pair_label(client: bytes, ac: bytes, vlan: tuple[int, ...]) -> str:
    return f"{mac_str(client)} <-> {mac_str(ac)}{vlan_label(vlan)}"
