"""Payment providers behind one interface; get_provider() hands out only those the config enables."""
from flask import current_app
from flask_babel import gettext as _

from portal.core.errors import DomainError
from portal.payments.models import ALIPAY, OFFLINE, SANDBOX, STRIPE, WECHATPAY
from portal.payments.providers.base import PaymentProvider


def _provider_classes() -> dict:
    from portal.payments.providers.alipay_provider import AlipayProvider
    from portal.payments.providers.offline import OfflineProvider
    from portal.payments.providers.sandbox import SandboxProvider
    from portal.payments.providers.stripe_provider import StripeProvider
    from portal.payments.providers.wechatpay_provider import WeChatPayProvider

    return {STRIPE: StripeProvider, SANDBOX: SandboxProvider, OFFLINE: OfflineProvider, WECHATPAY: WeChatPayProvider,
            ALIPAY: AlipayProvider}


def configured_provider_names(config=None) -> list[str]:
    config = config if config is not None else current_app.config
    raw = config.get("PAYMENT_PROVIDERS") or ""
    names = raw.split(",") if isinstance(raw, str) else list(raw)
    return [name.strip() for name in names if name.strip()]


def _is_production(config) -> bool:
    return config.get("ENV_NAME") == "production"


def enabled_provider_names(config=None, online_only: bool = False) -> list[str]:
    """Enabled and usable here (never the sandbox in production), in the configured order."""
    config = config if config is not None else current_app.config
    classes = _provider_classes()
    names = [name for name in configured_provider_names(config) if name in classes
             and not (name == SANDBOX and _is_production(config))]
    if online_only:
        names = [name for name in names if classes[name].online]
    return names


def get_provider(name: str, config=None) -> PaymentProvider:
    config = config if config is not None else current_app.config
    classes = _provider_classes()
    if name not in classes:
        raise DomainError(_("Unknown payment method."), field="provider", code="unknown_provider")
    if name == SANDBOX and _is_production(config):
        raise DomainError(_("The sandbox payment method only simulates payments and is switched off on this "
                            "production portal."), field="provider", code="sandbox_in_production")
    if name not in configured_provider_names(config):
        raise DomainError(_("This payment method is not enabled on this portal."), field="provider",
                          code="provider_disabled")
    return classes[name](config)
