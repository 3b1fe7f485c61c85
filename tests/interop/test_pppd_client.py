"""The real pppd client (rp-pppoe plugin) against our AC (`pppemu ac` on the peer's link)."""
import signal
import time

import pytest
from interop_checks import ECHO_REPLY, ECHO_REQUEST, assert_capture_clean, lcp_codes, pads_to_ipcp_opened
from pppvm.peerlab import wait_for

pytestmark = [pytest.mark.interop, pytest.mark.e2e]

USER, PASSWORD = "lab", "lab-secret"
AC_ARGS = ("--local-ip", "10.0.0.1", "--pool", "10.0.0.100-10.0.0.109", "--dns", "10.0.0.53",
           "--user", USER, "--password", PASSWORD, "--ac-name", "emu-ac")
UP_TIMEOUT = 30  # the VM is slow under load; a session comes up in well under a second when idle

# pppd's exit statuses (pppd(8))
EXIT_USER_REQUEST, EXIT_HANGUP, EXIT_AUTH_TOPEER_FAILED = 5, 16, 19


def pppd(*options: str, password: str = PASSWORD) -> str:
    return " ".join(["pppd", "plugin", "rp-pppoe.so", "eth0", "user", USER, "password", password, "noipdefault",
                     "usepeerdns", "noauth", "nodetach", "debug", *options])


def start(peer_lab, *ac_args: str, pppd_options: tuple[str, ...] = (), password: str = PASSWORD):
    lab = peer_lab()
    pcap = lab.tmp / "ac.pcap"
    ac, ac_log = lab.start_ac(*AC_ARGS, "--pcap", str(pcap), *ac_args)
    lab.peer.spawn("pppd", pppd(*pppd_options, password=password))
    return lab, ac, ac_log, pcap


def wait_up(lab, ac_log) -> str:
    """pppd's log once IPCP is up: its last line for that is the DNS address (usepeerdns)."""
    text = wait_for(lab.peer.log("pppd"), "primary   DNS address", timeout=UP_TIMEOUT)
    wait_for(ac_log, "IPCP: opened", timeout=UP_TIMEOUT)
    return text


def stop_ac(ac) -> None:
    ac.send_signal(signal.SIGTERM)
    assert ac.wait(timeout=20) == 0


def terminate_from_pppd(lab, ac, ac_log) -> None:
    lab.peer.kill("pppd")
    assert lab.peer.exit_status("pppd") == EXIT_USER_REQUEST
    wait_for(ac_log, "session down: peer terminated the link: User request", timeout=20)
    stop_ac(ac)


@pytest.mark.parametrize("auth", ["chap", "pap"])
def test_pppd_comes_up_with_our_ac(peer_lab, auth):
    lab, ac, ac_log, pcap = start(peer_lab, "--auth", auth)
    text = wait_up(lab, ac_log)
    assert "remote IP address 10.0.0.1" in text and "primary   DNS address 10.0.0.53" in text
    assert "local  IP address 10.0.0.100" in text
    assert f"{auth.upper()} authentication succeeded" in text
    assert f"auth: ok ({USER})" in ac_log.read_text()
    terminate_from_pppd(lab, ac, ac_log)
    assert_capture_clean(pcap)


def test_ipv6cp_with_pppd(peer_lab):
    lab, ac, ac_log, pcap = start(peer_lab, "--ipv6", pppd_options=("+ipv6",))
    wait_up(lab, ac_log)
    text = wait_for(lab.peer.log("pppd"), "remote LL address", timeout=UP_TIMEOUT)
    assert "local  LL address fe80::" in text
    wait_for(ac_log, "IPv6CP: opened", timeout=UP_TIMEOUT)
    terminate_from_pppd(lab, ac, ac_log)
    assert_capture_clean(pcap)


def test_echoes_keep_the_session_up(peer_lab):
    lab, ac, ac_log, pcap = start(peer_lab, "--echo-interval", "1", "--echo-failure", "3",
                                  pppd_options=("lcp-echo-interval", "1", "lcp-echo-failure", "3"))
    wait_up(lab, ac_log)
    time.sleep(5)
    assert lab.peer.running("pppd") and ac.poll() is None
    assert "session down" not in ac_log.read_text()
    terminate_from_pppd(lab, ac, ac_log)
    counts = lcp_codes(pcap)
    assert len({mac for mac, _ in counts}) == 2
    for mac in {mac for mac, _ in counts}:  # each side asked at least 4 times and answered at least 4
        assert counts[(mac, ECHO_REQUEST)] >= 4 and counts[(mac, ECHO_REPLY)] >= 4, counts
    assert_capture_clean(pcap)


def test_our_ac_terminates_pppd(peer_lab):
    lab, ac, ac_log, pcap = start(peer_lab)
    wait_up(lab, ac_log)
    stop_ac(ac)
    text = wait_for(lab.peer.log("pppd"), "terminated by peer", timeout=20)
    assert lab.peer.exit_status("pppd") == EXIT_HANGUP, text  # the PADT after the Terminate-Ack: a hangup
    assert "Modem hangup" in lab.peer.log("pppd").read_text()
    assert "session down: access concentrator shutting down" in ac_log.read_text()
    assert_capture_clean(pcap)


def test_wrong_password_is_refused(peer_lab):
    lab, ac, ac_log, pcap = start(peer_lab, password="wrong")
    assert lab.peer.exit_status("pppd", timeout=UP_TIMEOUT) == EXIT_AUTH_TOPEER_FAILED
    assert "CHAP authentication failed" in lab.peer.log("pppd").read_text()
    wait_for(ac_log, "auth: FAILED", timeout=20)
    stop_ac(ac)
    assert_capture_clean(pcap)


@pytest.mark.parametrize(("ac_auth", "refused"), [("chap", "refuse-chap"), ("pap", "refuse-pap")])
def test_no_authentication_downgrade(peer_lab, ac_auth, refused):
    lab, ac, ac_log, pcap = start(peer_lab, "--auth", ac_auth, pppd_options=(refused,))
    status = lab.peer.exit_status("pppd", timeout=UP_TIMEOUT)
    text = lab.peer.log("pppd").read_text()
    assert status != 0 and "local  IP address" not in text, text
    log = wait_for(ac_log, "session down", timeout=20)
    assert "auth: ok" not in log and "IPCP: opened" not in log
    assert f"session down: peer will not authenticate with {ac_auth.upper()}" in log
    stop_ac(ac)
    assert_capture_clean(pcap)


def test_setup_from_pads_to_ipcp_under_a_second(peer_lab):
    lab, ac, ac_log, pcap = start(peer_lab)
    wait_up(lab, ac_log)
    terminate_from_pppd(lab, ac, ac_log)
    elapsed = pads_to_ipcp_opened(pcap)
    assert elapsed < 1.0, f"PADS to IPCP opened took {elapsed:.3f} s"
