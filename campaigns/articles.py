"""An article campaign's steps, one per look of the sender (Zalo reviews an article for
about 30 minutes): create the article (a token), verify it until the channel gives its id,
broadcast it to the campaign's target, done. The step in progress is the campaign's
``vendor_ref`` (``token:…``, ``article:…``, ``message:…``); one worker at a time holds it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from campaigns import states
from connectors.broadcast import Article, BroadcastError, CampaignHalted, RetryLater

if TYPE_CHECKING:
    from campaigns.sender import Sender


async def article_step(sender: Sender, campaign_id: int) -> None:
    now = sender.clock.now()
    async with sender.sm() as s, s.begin():
        if not await states.claim(s, campaign_id, sender.token, sender.cfg.claim_ttl, now):
            return
        c = await states.load(s, campaign_id)
        channel, ref, article, target = c.channel, c.vendor_ref or "", c.article or {}, c.target or {}
    broadcaster = sender.broadcasters.get(channel)
    if broadcaster is None:
        return  # the claim expires; the channel may come back
    try:
        if not ref:
            made = Article(
                title=article.get("title", ""),
                description=article.get("description", ""),
                body=article.get("body", ""),
                cover_url=article.get("cover_url"),
                author=article.get("author", ""),
            )
            next_ref = "token:" + await broadcaster.create_article(made)
        elif ref.startswith("token:"):
            found = await broadcaster.verify_article(ref.removeprefix("token:"))
            next_ref = f"article:{found}" if found else ref
        else:
            article_id = ref.removeprefix("article:")
            next_ref = "message:" + await broadcaster.broadcast_articles([article_id], target)
    except RetryLater:
        return  # the claim expires after its TTL: tried again then
    except (CampaignHalted, BroadcastError) as err:
        async with sender.sm() as s, s.begin():
            if (notice := await states.halt(s, campaign_id, err.reason, str(err), now)) is not None:
                sender.audit(s, "campaign_halted", campaign_id, {"reason": err.reason, "code": err.code}, now)
                sender.notices.append(notice)
        return
    async with sender.sm() as s, s.begin():
        await states.set_vendor_ref(s, campaign_id, next_ref, now)
        if next_ref.startswith("message:") and await states.finish(s, campaign_id, now):
            sender.audit(s, "campaign_done", campaign_id, {"vendor_ref": next_ref}, now)
