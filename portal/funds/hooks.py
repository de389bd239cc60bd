"""What funds asks of payments, which sits above it (payments posts gifts on funds' ledger), without importing it.

payments registers the handlers (portal/payments/campaigns.py) when create_app wires the domains.
"""
from portal.core.hooks import Hook

campaign_finished = Hook(
    "funds.campaign_finished",
    "(campaign, actor) after a campaign left 'live': its monthly gifts stop, and a failed all-or-nothing "
    "campaign's gifts are refunded.")
in_kind_sold = Hook(
    "funds.in_kind_sold",
    "(pledge, campaign or None, amount_minor, method, receipt_ref, treasurer) -> the offline Donation that "
    "the sale's money becomes (pending until a second committee member confirms it).")
provider_differences = Hook(
    "funds.provider_differences",
    "() -> [line, ...]: what the payment providers reported that the books do not reflect yet (reconcile).")
review_items = Hook(
    "funds.review_items",
    "() -> [line, ...]: money a person must look at, nothing of it credited (reconcile lists them apart).")
other_differences = Hook(
    "funds.other_differences",
    "() -> [line, ...]: cached totals of other domains on this ledger (contract payments) that disagree with "
    "their postings (reconcile reports them as differences).")
bill_differences = Hook(
    "funds.bill_differences",
    "(provider name, bill text, day=None) -> [line, ...], or None when the handler does not read that provider's "
    "bills: every order of a provider's statement (WeChat Pay's or Alipay's daily trade bill) whose amount or state "
    "differs from the ledger (`portal reconcile --bill wechatpay=FILE --bill alipay=FILE`); `day`, when the bill was "
    "downloaded for a known day (`--bill-date`), is a day the bill covers even if it has no row.")
downloaded_bills = Hook(
    "funds.downloaded_bills",
    "(day) -> [(provider name, bill text or None, problem or None), ...]: the trade bill of `day` of every enabled "
    "rail that publishes one, downloaded through the provider's API (`portal reconcile --bill-date`); problem says "
    "why a bill could not be had (the download failed, or its hash did not match).")
