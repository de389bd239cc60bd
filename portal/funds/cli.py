"""Funds commands: `portal reconcile` and the `portal campaigns` group (payments adds `finish-due` to it, since
finishing a campaign moves money back)."""
import click
from flask.cli import with_appcontext

from portal.extensions import db

# Exit status of `portal reconcile`, so a cron alert means what it says (README, "Scheduled jobs").
EXIT_AGREE, EXIT_DIFFERENCES, EXIT_REVIEW, EXIT_BILL_UNAVAILABLE = 0, 1, 3, 4


@click.command("reconcile")
@click.option("--no-provider", is_flag=True, help="Skip the comparison with the payment provider's records.")
@click.option("--bill", "bills", multiple=True, metavar="PROVIDER=FILE",
              help="Also compare a provider's statement with the ledger, e.g. --bill wechatpay=trade-bill.csv or "
                   "--bill alipay=业务明细.csv.")
@click.option("--bill-date", "bill_day", type=click.DateTime(formats=["%Y-%m-%d"]), metavar="YYYY-MM-DD",
              help="Also download the trade bill of that day (China time) from every enabled rail that publishes "
                   "one (WeChat Pay, Alipay) through its API and compare it as --bill does; exit status 4 when a "
                   "bill cannot be downloaded or fails its check.")
@with_appcontext
def reconcile_command(no_provider, bills, bill_day):
    """Recompute every fund, campaign, team and matching-pool total from the ledger and compare.

    Exit status: 0 when the books agree and nothing waits for review; 1 when anything differs (cached
    totals, unbalanced entries, gifts against the ledger, the provider's records or bills), whatever else is
    listed; 4 when nothing differs but a provider's bill (--bill-date) could not be downloaded or did not pass
    its check, so it was not compared; 3 when the books agree but gifts await review (paid amount or currency
    mismatch, a checkout that was not the gift's own): nothing of those was credited, a treasurer looks at them.
    """
    from portal.funds.reconcile import reconcile, review_items

    lines = reconcile(with_provider=not no_provider)
    lines += _bill_differences(bills)
    unavailable = []
    if bill_day is not None:
        downloaded, unavailable = _downloaded_bill_differences(bill_day.date())
        lines += downloaded
    review = review_items() if not no_provider else []
    db.session.rollback()  # read only
    for line in lines:
        click.echo(line)
    for line in unavailable:
        click.echo(line, err=True)
    if review:
        click.echo("Awaiting review (nothing of these was credited):")
        for line in review:
            click.echo(f"  {line}")
        click.echo(f"{len(review)} item(s) awaiting review.", err=bool(lines))
    if lines:
        click.echo(f"{len(lines)} difference(s) found.", err=True)
        raise SystemExit(EXIT_DIFFERENCES)
    if unavailable:
        click.echo(f"reconcile: no difference found, but {len(unavailable)} bill(s) could not be compared.", err=True)
        raise SystemExit(EXIT_BILL_UNAVAILABLE)
    click.echo("reconcile: the ledger and every cached total agree (0 differences).")
    if review:
        raise SystemExit(EXIT_REVIEW)


def _bill_differences(bills) -> list[str]:
    from portal.funds import hooks

    lines = []
    for option in bills:
        provider, _sep, path = option.partition("=")
        if not path:
            raise click.BadParameter(f"{option!r}: write PROVIDER=FILE", param_hint="--bill")
        try:
            with open(path, "rb") as handle:
                raw = handle.read()
        except OSError as error:
            raise click.BadParameter(f"{path}: {error.strerror}", param_hint="--bill") from error
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:  # Alipay publishes its bills in GBK
            text = raw.decode("gb18030", errors="replace")
        answers = [answer for answer in hooks.bill_differences(provider.strip(), text) if answer is not None]
        if not answers:
            raise click.BadParameter(f"no reader for {provider!r} bills", param_hint="--bill")
        lines += [line for answer in answers for line in answer]
    return lines


def _downloaded_bill_differences(day) -> tuple[list[str], list[str]]:
    """(differences, bills that could not be had) for the bills of `day` downloaded from the enabled rails."""
    from portal.funds import hooks

    results = [result for answer in hooks.downloaded_bills(day) for result in answer]
    if not results:
        raise click.BadParameter("no enabled payment rail publishes a daily bill (WeChat Pay, Alipay)",
                                 param_hint="--bill-date")
    lines, unavailable = [], []
    for provider, text, problem in results:
        if problem is not None:
            unavailable.append(f"{provider} bill of {day}: not compared: {problem}")
            continue
        lines += [line for answer in hooks.bill_differences(provider, text, day) if answer is not None
                  for line in answer]
    return lines, unavailable


@click.group("campaigns")
def campaigns_group():
    """Campaign lifecycle jobs."""


def register(app) -> None:
    app.cli.add_command(reconcile_command)
    app.cli.add_command(campaigns_group)
