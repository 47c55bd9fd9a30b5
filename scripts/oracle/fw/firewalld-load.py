#!/usr/bin/python3
"""Load a tree's firewalld configuration into the current network namespace, as firewalld does.

    firewalld-load.py TREE

Runs firewalld's own core (python3-firewall, Debian 12: firewalld 1.3.3), the code the daemon
runs at start-up, with its configuration paths pointed at TREE/etc/firewalld (the user
configuration) and TREE/usr/lib/firewalld (the stock zones and services). Only the D-Bus
front end is left out, so no system bus is needed. When the user configuration is refused,
firewalld itself falls back to the stock configuration and keeps running in state FAILED:
the namespace then holds that ruleset, as a station would. Prints one line: the state and
default zone, or what firewalld refused.
"""
import sys

from firewall import config

tree = sys.argv[1]
config.set_system_config_paths(tree + "/etc/firewalld")
config.set_default_config_paths(tree + "/usr/lib/firewalld")

from firewall.core.fw import Firewall  # noqa: E402 (after the paths are set)

fw = Firewall()
try:
    fw.start()
    print(f"firewalld {fw._state}, default zone {fw.get_default_zone()}")
except SystemExit:
    print("firewalld could not load even its stock configuration")
except Exception as e:  # firewalld's own fallback already ran (state FAILED)
    first = str(e).splitlines()[0] if str(e) else type(e).__name__
    print(f"firewalld {getattr(fw, '_state', '?')}: {first[:80]}")
