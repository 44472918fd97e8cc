"""Egress adapters: one thin module per channel, each calling confidentiality_app.gate.

hooks.py wires every adapter; read it to find where a channel is gated.
"""
