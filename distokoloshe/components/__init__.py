"""Reusable UI pieces. Each takes Vars and event handlers and holds no business logic."""
