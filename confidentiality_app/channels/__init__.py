"""Egress adapters: one thin module per channel (email is a package), each calling the one
decision point, confidentiality_app.decision.gate. Imports the decision point, the domains,
the log and the rules; only the wiring (hooks.py, install, tasks, api) imports a channel.

hooks.py wires every adapter; read it to find where a channel is gated.
"""
