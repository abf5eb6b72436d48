"""Replay reports and sweeps: what an engineer reads after replaying scenes.

`trace` runs a scene through the live analyzer and keeps every hop's numbers, `timeline` and
`figures` draw them, `html` writes one self-contained page per run, `sweep` runs scenes ×
settings into one comparison table, `progress` shows how far a long replay has got, and `cli`
wires it all into `honk-edge replay`.
"""
