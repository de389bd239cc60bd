"""Configuration classes, read from the environment in one place."""
import contextlib
import hashlib
import logging
import os
import secrets
import tempfile
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MIN_SECRET_KEY_LENGTH = 32
INSTANCE_DIR = Path(os.environ.get("PORTAL_INSTANCE_DIR", PROJECT_ROOT / "instance"))


def _kept_key(name: str, make) -> str:
    """A development key kept in instance/<name>, made once: written to a temporary file and linked into place,
    so two processes starting together (the test passes run side by side) never read a half-written key."""
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    key_file = INSTANCE_DIR / name
    if not key_file.exists():
        handle, temporary = tempfile.mkstemp(dir=INSTANCE_DIR, prefix=f".{name}.")
        try:
            os.write(handle, make())
            os.close(handle)
            os.chmod(temporary, 0o600)
            with contextlib.suppress(FileExistsError):  # another process made it first: theirs stands
                os.link(temporary, key_file)
        finally:
            os.unlink(temporary)
    return key_file.read_text().strip()


def _secret_key() -> str:
    """SECRET_KEY from the environment; for development a random key kept in instance/ (never in git)."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    return _kept_key("secret_key", lambda: secrets.token_hex(32).encode())


def _bid_sealing_key() -> str:
    """BID_SEALING_KEY (a Fernet key) from the environment; for development one kept in instance/, like
    SECRET_KEY. Bids are encrypted with it at rest until and after their opening (portal/procurement/sealing.py)."""
    if key := os.environ.get("BID_SEALING_KEY"):
        return key
    from cryptography.fernet import Fernet

    return _kept_key("bid_sealing_key", Fernet.generate_key)


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{INSTANCE_DIR / 'portal.sqlite3'}"
    # Accept the common postgres:// spellings and use psycopg 3.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def deployment_id_from(secret_key: str) -> str:
    """A short stable id of this deployment that reveals nothing of the key (12 hex digits)."""
    return hashlib.sha256(f"portal-deployment:{secret_key}".encode()).hexdigest()[:12]


class Config:
    ENV_NAME = "development"
    SECRET_KEY = None  # filled in by load()
    SQLALCHEMY_DATABASE_URI = None
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    REDIS_URL = os.environ.get("REDIS_URL")
    # The public host name; links in mail sent by CLI commands (volunteer reminders) need it.
    SERVER_NAME = os.environ.get("SERVER_NAME")
    PREFERRED_URL_SCHEME = os.environ.get("PREFERRED_URL_SCHEME", "http")

    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = {"zh_CN": "中文", "en": "English"}

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_DURATION = 60 * 60 * 24 * 30

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = 60 * 60 * 8

    # Seconds an anonymous visitor's copy of the busiest public pages (campaign, fund, project list), and the
    # part of them everyone sees alike for signed-in people, are kept in each worker's memory
    # (portal/core/page_cache.py); 0 turns it off. A gift shows within this time (at once when signed in).
    PAGE_CACHE_SECONDS = float(os.environ.get("PAGE_CACHE_SECONDS", "5"))

    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = None  # REDIS_URL when set, else memory
    LOGIN_LIMIT_PER_ACCOUNT = os.environ.get("LOGIN_LIMIT_PER_ACCOUNT", "5 per 15 minutes")
    LOGIN_LIMIT_PER_IP = os.environ.get("LOGIN_LIMIT_PER_IP", "30 per 15 minutes")
    # The public API (/api/v1): requests per address, shared by all its endpoints (flask-limiter's notation).
    API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "120 per minute")

    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "outbox")  # outbox | smtp
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", False)
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "portal@localhost")
    MAIL_OUTBOX_DIR = None  # instance/outbox

    UPLOAD_DIR = None  # instance/uploads
    MAX_UPLOAD_BYTES = int(os.environ.get("MAX_UPLOAD_BYTES", str(5 * 1024 * 1024)))
    # The whole request body may be larger than one file's limit, so a file somewhat over the limit still
    # reaches its form and is refused beside its field; only a body above this hard cap gets the 413 page.
    # A grid case's photos (phones take large ones; they are re-encoded and downsized before storing).
    CASE_PHOTO_MAX_BYTES = int(os.environ.get("CASE_PHOTO_MAX_BYTES", str(8 * 1024 * 1024)))
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_REQUEST_BYTES", str(
        2 * max(MAX_UPLOAD_BYTES, CASE_PHOTO_MAX_BYTES) + 1024 * 1024)))
    # The city a case's point must lie in: "south,west,north,east" in degrees (the demo city, Yichang).
    CASE_CITY_BOUNDS = os.environ.get("CASE_CITY_BOUNDS", "29.9,110.25,31.6,112.1")

    # Open data: the prefix of every OCDS ocid (register your own at the Open Contracting Partnership) and the
    # publisher named in the packages.
    OCDS_OCID_PREFIX = os.environ.get("OCDS_OCID_PREFIX", "ocds-cnportal-")
    OCDS_PUBLISHER_NAME = os.environ.get("OCDS_PUBLISHER_NAME", "社区治理服务平台 Community Services Portal")

    PASSWORD_RESET_MAX_AGE = 60 * 60  # seconds
    INVITATION_MAX_AGE = 60 * 60 * 24 * 7
    # The case board's map draws its points without any outside service; a tile server's URL template
    # ("https://tiles.example.org/{z}/{x}/{y}.png") draws map tiles under them (its origin joins img-src).
    CASE_MAP_TILE_URL = os.environ.get("CASE_MAP_TILE_URL") or None

    PAYMENT_PROVIDERS = os.environ.get("PAYMENT_PROVIDERS", "sandbox,offline")
    STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY")
    STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET")
    STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE")  # a local fake in tests
    # WeChat Pay API v3 (direct merchant; `wechatpay` in PAYMENT_PROVIDERS): the merchant's key pair signs our
    # requests, the platform public key (WeChat Pay's "公钥模式") verifies its answers and callbacks.
    WECHATPAY_MCHID = os.environ.get("WECHATPAY_MCHID")
    WECHATPAY_APPID = os.environ.get("WECHATPAY_APPID")
    WECHATPAY_API_V3_KEY = os.environ.get("WECHATPAY_API_V3_KEY")
    WECHATPAY_CERT_SERIAL = os.environ.get("WECHATPAY_CERT_SERIAL")
    WECHATPAY_PRIVATE_KEY = os.environ.get("WECHATPAY_PRIVATE_KEY")  # PEM text or a file path
    WECHATPAY_PLATFORM_PUBLIC_KEY = os.environ.get("WECHATPAY_PLATFORM_PUBLIC_KEY")  # PEM text or a file path
    WECHATPAY_PLATFORM_PUBLIC_KEY_ID = os.environ.get("WECHATPAY_PLATFORM_PUBLIC_KEY_ID")  # PUB_KEY_ID_...
    WECHATPAY_API_BASE = os.environ.get("WECHATPAY_API_BASE")  # a local fake in tests
    WECHATPAY_NOTIFY_URL = os.environ.get("WECHATPAY_NOTIFY_URL")  # default: /webhooks/wechatpay on this host
    ALIPAY_APP_ID = os.environ.get("ALIPAY_APP_ID")
    ALIPAY_APP_PRIVATE_KEY = os.environ.get("ALIPAY_APP_PRIVATE_KEY")  # PEM text or a path to the PEM file
    ALIPAY_PUBLIC_KEY = os.environ.get("ALIPAY_PUBLIC_KEY")  # Alipay's public key (PEM, path or bare base64)
    ALIPAY_GATEWAY = os.environ.get("ALIPAY_GATEWAY")  # default Alipay's production gateway; a local fake in tests
    # Written into every provider reference, so two portals on one Stripe account (staging and
    # production both number gifts from 1) never take each other's events. Default: from SECRET_KEY.
    PORTAL_DEPLOYMENT_ID = os.environ.get("PORTAL_DEPLOYMENT_ID")

    @classmethod
    def load(cls) -> dict:
        """Resolve the values that depend on the environment at app-creation time."""
        values = {k: getattr(cls, k) for k in dir(cls) if k.isupper()}
        values["SECRET_KEY"] = _secret_key()
        values["BID_SEALING_KEY"] = _bid_sealing_key()
        values["PORTAL_DEPLOYMENT_ID"] = values["PORTAL_DEPLOYMENT_ID"] or deployment_id_from(values["SECRET_KEY"])
        values["SQLALCHEMY_DATABASE_URI"] = values["SQLALCHEMY_DATABASE_URI"] or _database_url()
        values["REDIS_URL"] = os.environ.get("REDIS_URL") or values["REDIS_URL"]
        values["RATELIMIT_STORAGE_URI"] = values["RATELIMIT_STORAGE_URI"] or values["REDIS_URL"] or "memory://"
        values["MAIL_OUTBOX_DIR"] = values["MAIL_OUTBOX_DIR"] or str(INSTANCE_DIR / "outbox")
        values["UPLOAD_DIR"] = values["UPLOAD_DIR"] or str(INSTANCE_DIR / "uploads")
        return values


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PAYMENT_PROVIDERS = os.environ.get("PAYMENT_PROVIDERS", "stripe,offline")

    @classmethod
    def load(cls) -> dict:
        key = os.environ.get("SECRET_KEY")
        if not key:
            raise RuntimeError("SECRET_KEY must be set in production")
        if len(key) < MIN_SECRET_KEY_LENGTH:
            raise RuntimeError(
                f"SECRET_KEY is {len(key)} characters long; production needs at least {MIN_SECRET_KEY_LENGTH} "
                "(generate one with: python -c 'import secrets; print(secrets.token_hex(32))')")
        if not os.environ.get("BID_SEALING_KEY"):
            raise RuntimeError("BID_SEALING_KEY must be set in production (generate one with: python -c "
                               "'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')")
        values = super().load()
        if not values["REDIS_URL"]:
            # Without a shared store every gunicorn worker counts sign-in attempts on its own, so the limits
            # multiply by the number of workers.
            if not _bool("RATELIMIT_PER_PROCESS_OK"):
                raise RuntimeError(
                    "REDIS_URL must be set in production: rate limits (sign-in attempts) are kept there and "
                    "shared by all workers. To run with limits counted in each process's memory instead "
                    "(one worker, or limits that multiply by the number of workers), set "
                    "RATELIMIT_PER_PROCESS_OK=1.")
            logging.getLogger("portal").warning(
                "RATE LIMITS ARE PER PROCESS: REDIS_URL is not set and RATELIMIT_PER_PROCESS_OK=1, so each "
                "worker keeps its own sign-in counts and the limits multiply by the number of workers.")
        return values


class TestConfig(Config):
    ENV_NAME = "test"
    TESTING = True
    WTF_CSRF_ENABLED = True  # tests send real tokens; CSRF is part of what we test
    MAIL_BACKEND = "outbox"
    PASSWORD_HASH_FAST = True  # cheaper Argon2 parameters keep the suite quick
    PAGE_CACHE_SECONDS = 0  # pages are fresh in tests; tests/test_page_cache.py turns the cache on

    @classmethod
    def load(cls) -> dict:
        values = super().load()
        values["SQLALCHEMY_DATABASE_URI"] = os.environ.get("TEST_DATABASE_URL") or values[
            "SQLALCHEMY_DATABASE_URI"]
        values["RATELIMIT_STORAGE_URI"] = "memory://"
        return values


CONFIGS = {"development": Config, "production": ProductionConfig, "test": TestConfig}


def config_for(name: str | None) -> dict:
    name = name or os.environ.get("PORTAL_ENV", "development")
    return CONFIGS[name].load()
