"""What a test leaves in the shared brokers, removed: Redis keys or RabbitMQ queues."""

from __future__ import annotations

from takedown import jobs
from takedown.outbox import broker as outbox_broker


def forget_namespace(url: str, namespace: str) -> None:
    """Remove what a test left in the shared broker: its Redis keys or RabbitMQ queues."""
    if url.startswith("redis"):
        import redis

        client = redis.Redis.from_url(url)
        for key in client.scan_iter(f"{namespace}:*"):
            client.delete(key)
        client.close()
        return
    import pika

    connection = pika.BlockingConnection(pika.URLParameters(url))
    channel = connection.channel()
    for queue in jobs.QUEUES:
        name = outbox_broker.queue_name(namespace, queue)
        for suffix in ("", ".DQ", ".XQ"):
            channel.queue_delete(name + suffix)
    connection.close()
