"""Jobs through a broker (TAKEDOWN_BROKER_URL): Dramatiq on Redis or RabbitMQ.

The outbox stays the record of every job: a state change and its jobs commit together, so no
job is lost or run without its change. A `takedown worker` process relays due jobs from the
outbox to the broker, one message per job naming only its id, sent before the lease that marks
it handed on commits. Each queue of takedown.jobs is a broker queue with its own consumer
threads in every worker process, so a slow webhook endpoint, a long video or a large scan waits
only behind its own kind. A message's runner claims the job (Worker.claim) and runs it as the
in-process worker would; a duplicate message finds it claimed or done.

Why Dramatiq rather than Celery: it acknowledges a message only after the actor returns (a
worker killed mid-job leaves it to be delivered again, which the outbox claim makes safe), it
speaks both Redis and RabbitMQ with one API, its workers are threads in one process (what
`--concurrency` means), and it is small enough to reason about. Its own retries are off: the
outbox's retry policies, declared with each job, decide.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import dramatiq
from dramatiq.middleware import Retries, ShutdownNotifications

from takedown.jobs import QUEUES, slots
from takedown.outbox.worker import Leased, Worker

log = logging.getLogger("takedown.broker")

IDLE_POLL_MS = 50


class BrokerUrlInvalid(ValueError):
    pass


def make_broker(url: str, namespace: str = "takedown") -> dramatiq.Broker:
    middleware = [ShutdownNotifications(), Retries(max_retries=0)]
    if url.startswith(("redis://", "rediss://", "unix://")):
        from dramatiq.brokers.redis import RedisBroker

        return RedisBroker(url=url, namespace=namespace, middleware=middleware)
    if url.startswith(("amqp://", "amqps://")):
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        # Persistent messages and confirmed publishes: an acknowledged hand-over survives a
        # broker restart.
        return RabbitmqBroker(url=url, middleware=middleware, confirm_delivery=True)
    raise BrokerUrlInvalid(
        "TAKEDOWN_BROKER_URL must start with redis:// or amqp:// (got "
        f"{url.split('://', 1)[0] or 'nothing'}://)"
    )


def queue_name(namespace: str, queue: str) -> str:
    # RabbitMQ queues are global to the virtual host: the namespace keeps installations apart.
    return f"{namespace}.{queue}"


def declare_actors(
    brokers: dict[str, dramatiq.Broker], namespace: str, run: Callable[[int, str], object]
) -> dict[str, dramatiq.Actor[[int], None]]:
    """One actor per queue, on that queue's broker connection, each running
    `run(job_id, queue)`."""
    actors: dict[str, dramatiq.Actor[[int], None]] = {}
    for queue, broker in brokers.items():

        def perform(job_id: int, queue: str = queue) -> None:
            run(int(job_id), queue)

        actors[queue] = dramatiq.Actor(
            perform,
            broker=broker,
            actor_name=f"{namespace}_run_{queue}",
            queue_name=queue_name(namespace, queue),
            priority=0,
            options={},
        )
    return actors


class Relay:
    """Hands leased outbox jobs to the broker: the `dispatch` of Worker.run_forever."""

    def __init__(self, actors: dict[str, dramatiq.Actor[[int], None]]):
        self.actors = actors

    def __call__(self, leased: list[Leased]) -> None:
        for job in leased:
            actor = self.actors.get(job.queue) or self.actors[QUEUES[0]]
            actor.broker.enqueue(actor.message(job.id))


def run_worker(
    worker: Worker,
    url: str,
    namespace: str,
    concurrency: int,
    poll_seconds: float,
    sweep_seconds: float,
) -> None:
    """A `takedown worker` on a broker: the relay and the sweeps in this thread, and
    `concurrency` consumer threads for each queue.

    Each queue has a broker connection and a Dramatiq worker of its own: one worker's threads
    take from all of its queues, so a queue full of slow deliveries would take them all.
    """
    brokers = {queue: make_broker(url, namespace) for queue in QUEUES}
    actors = declare_actors(brokers, namespace, worker.run_handed)
    consumers = [
        dramatiq.Worker(
            brokers[q],
            queues={queue_name(namespace, q)},
            worker_threads=slots(q, concurrency, worker.jobs),
            # An idle Redis consumer polls with back-off up to this (ms); Dramatiq's 1 s
            # default would put up to a second between a P0 report and its webhook.
            worker_timeout=IDLE_POLL_MS,
        )
        for q in QUEUES
    ]
    for consumer in consumers:
        consumer.start()
    log.info(
        "worker %s on %s, %d threads per queue",
        worker.worker_id,
        url.split("@")[-1],
        concurrency,
    )
    try:
        worker.run_forever(poll_seconds, sweep_seconds, dispatch=Relay(actors))
    finally:
        for consumer in consumers:
            consumer.stop()
        for broker in brokers.values():
            broker.close()
