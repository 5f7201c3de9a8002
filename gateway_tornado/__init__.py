"""The Tornado gateway: HTTP API under /api/v1 and the WebSocket at /ws.

Socket → ``websocket.py`` → RPC (``services.common.rpc_client``) → services;
services → real-time bus → ``hub.py`` → every local socket in the channel.
"""
