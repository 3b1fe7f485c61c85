"""pppemu: a both-ends PPPoE emulator in user space."""
__version__ = "0.1.0"


def __getattr__(name):
    # The facade pulls in sockets and threads; import it only when asked for.
    if name in ("PPPoESession", "PPPoEError"):
        from pppemu.app import api
        return getattr(api, name)
    raise AttributeError(name)
