"""Adapters between the domain and Reflex's websocket: what is pushed to every tab
(presence_hub, with its frames and views) and what every incoming event passes first
(flood_guard). Nothing here imports a state: app.py binds the hub to the state it feeds."""
