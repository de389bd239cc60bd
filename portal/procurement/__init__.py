"""Purchase of services (政府购买服务): catalogue, qualified organisations, calls, sealed bids, evaluation, awards."""
