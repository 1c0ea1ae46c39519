"""Issue #12 defect 8: a 催告書 carries only the items whose 送付先 is its recipient — one letter per
recipient. Reproduced on main: a 催告 naming 住民税 and 固定資産税 went to the 送付先 of the oldest
line for every line, disclosing the 住民税 to the 固定資産税 納税管理人."""

from __future__ import annotations

import datetime as dt

from osame_collection.domain.campaign import CampaignCriteria
from osame_collection.service_layer import handlers, letters, reminders
from osame_collection.service_layer.policy import CollectionPolicy
from osame_contracts.messages import address_sync

from .test_collection_nightly import ADDRESSEE, assessment, nightly

D = dt.date
POLICY = CollectionPolicy(business_date=lambda: D(2026, 9, 1))


async def test_each_reminder_letter_goes_to_the_recipient_of_its_own_items(service):
    await service.handle(
        handlers.apply_addressee_change_v2,
        address_sync.AddresseeChangedV2(
            addressee_id=ADDRESSEE,
            unified_addressee_id=ADDRESSEE,
            version=1,
            addressee_kind="person",
            name="本人 太郎",
            name_kana="ホンニン タロウ",
            postal_code="933-0001",
            address="富山県高岡市本人町1",
            protected=False,
            mailing_overrides=[
                address_sync.MailingOverride(
                    tax_item="fixed_asset_tax",
                    recipient="管理人 次郎",
                    postal_code="100-0001",
                    address="東京都1",
                )
            ],
        ),
    )
    # the 固定資産税 line is the oldest: on main its 送付先 got the 住民税 line too
    await service.handle(
        handlers.project_assessment,
        assessment("N-FA", [(1, 50_000, D(2026, 4, 30), 0)], tax_item="fixed_asset_tax"),
    )
    await service.handle(handlers.project_assessment, assessment("N-RT", [(1, 80_000, D(2026, 6, 30), 0)]))
    await nightly(service, D(2026, 7, 15))
    campaign_id = await service.handle(
        reminders.save_campaign, reminders.SaveCampaign(name="c", criteria=CampaignCriteria(), staff_user="s")
    )
    summary = await service.handle(
        lambda c, uow: reminders.run_campaign(c, uow, policy=POLICY),
        reminders.RunCampaign(campaign_id=campaign_id, run_on=D(2026, 9, 1), staff_user="s"),
    )
    found = await service.handle(
        lambda batch_id, uow: letters.letters_of_batch(batch_id, uow), summary["batch_id"]
    )
    by_recipient = {x.recipient: {line.tax_item for line in x.lines} for x in found}
    assert by_recipient == {"管理人 次郎": {"fixed_asset_tax"}, "本人 太郎": {"resident_tax"}}
    assert len({x.letter_id for x in found}) == 2
