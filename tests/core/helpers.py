"""Small helpers shared by the core service tests."""

from __future__ import annotations

from sqlmodel import col, select

from core.rules.roles import Actor
from core.services import Services
from storage.models import Notification


async def outbox(services: Services, kind: str | None = None) -> list[Notification]:
    async with services.db.read() as session:
        stmt = select(Notification).order_by(col(Notification.id))
        if kind:
            stmt = stmt.where(Notification.kind == kind)
        return list((await session.execute(stmt)).scalars().all())


async def with_team(services: Services, seller: Actor, chat_id: int = -100500) -> None:
    await services.shops.set_team_chat(seller, chat_id)


async def link(
    services: Services, seller: Actor, role: str, user_id: int, handle: str | None = None
) -> Actor:
    invite = await services.accounts.create_invite(seller, role)
    member = await services.accounts.accept_invite(invite.token, user_id, f"user{user_id}")
    if handle:
        await services.accounts.set_handle(member.actor, handle)
    return member.actor
