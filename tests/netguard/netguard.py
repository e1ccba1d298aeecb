"""Refuse every socket connection that does not go to the loopback range."""
from __future__ import annotations

import ipaddress
import socket

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


class NetworkBlocked(OSError):
    pass


def _check(addr) -> None:
    if isinstance(addr, tuple) and addr:
        host = addr[0]
        try:
            ip = ipaddress.ip_address(host.split("%")[0])
        except ValueError:
            raise NetworkBlocked(f"tests may only connect to loopback addresses, not {host!r}")
        if not ip.is_loopback:
            raise NetworkBlocked(f"tests may only connect to loopback addresses, not {host}")


def _connect(self, addr):
    _check(addr)
    return _real_connect(self, addr)


def _connect_ex(self, addr):
    _check(addr)
    return _real_connect_ex(self, addr)


def install() -> None:
    socket.socket.connect = _connect
    socket.socket.connect_ex = _connect_ex
