"""The HTTP and WebSocket server: live turns in, state, guidance, alerts and events out."""
