"""Thin Reflex states: each checks who is asking, calls domain code, and keeps one feature."""
