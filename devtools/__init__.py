"""Simulators and test servers shared by the tests, the benchmarks and the demos in docs/.

The Zalo OA and Facebook Messenger simulators (:mod:`devtools.zalo`, :mod:`devtools.facebook`),
real Dovecot IMAP and aiosmtpd SMTP servers (:mod:`devtools.dovecot`, :mod:`devtools.smtp`),
a loopback TCP proxy that can be cut (:mod:`devtools.tcp_proxy`), the hub as a child
process (:mod:`devtools.hub_process`), an in-memory ``HubServices`` for the Rasa action
server (:mod:`devtools.memory_services`), a free loopback port (:mod:`devtools.net`) and a
clock tests move by hand (:mod:`devtools.clock`).

Nothing here imports from ``tests/``: the tests and ``bench/`` import from here.
"""
