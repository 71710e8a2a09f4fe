"""Multi-process fault drills (``make drills``, docs/reliability.md): each drill runs the services as
processes against a RabbitMQ node of its own, breaks something under load, and checks the oracle."""
