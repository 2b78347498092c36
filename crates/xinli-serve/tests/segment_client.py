"""Sends N mixed messages to xinli serve through the real Segment client (segment-analytics-python).

usage: segment_client.py HOST WRITE_KEY N IDS_OUT
Writes every messageId the client generated to IDS_OUT (one per line) and exits non-zero if the
client reported an error.
"""
import random
import sys

from segment import analytics

host, write_key, n, ids_out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
errors = []
analytics.write_key = write_key
analytics.host = host
analytics.max_queue_size = n * 2
analytics.on_error = lambda error, items: errors.append(repr(error))

rng = random.Random(6)
products = [f"p{i}" for i in range(40)]
ids = []


def remember(result):
    # Each call returns (success, message); the message carries the generated messageId.
    ok, msg = result
    if not ok:
        errors.append("queue full")
    ids.append(msg["messageId"])


ecommerce = ["Product Viewed", "Product Added", "Checkout Started", "Products Searched", "Product Shared",
             "Coupon Applied", "Product Removed", "Product Added to Wishlist", "Video Played"]
order_no = 0
for i in range(n):
    user = f"py-user-{rng.randrange(300)}"
    anon = f"py-anon-{rng.randrange(600)}"
    kind = rng.random()
    if kind < 0.55:
        event = rng.choice(ecommerce)
        props = {"product_id": rng.choice(products), "price": round(rng.uniform(1, 90), 2), "category": "c" + str(rng.randrange(5))}
        if event == "Products Searched":
            props = {"query": "shoes"}
        if rng.random() < 0.3:
            remember(analytics.track(anonymous_id=anon, event=event, properties=props))
        else:
            remember(analytics.track(user, event, props))
    elif kind < 0.65:
        order_no += 1
        remember(analytics.track(user, "Order Completed", {
            "order_id": f"py-order-{order_no}", "revenue": 42.5, "coupon": "WELCOME" if rng.random() < 0.2 else None,
            "products": [{"product_id": rng.choice(products), "price": 21.25, "quantity": 2}]}))
    elif kind < 0.75:
        remember(analytics.identify(user, {"email": f"{user}@example.com", "plan": "basic", "consent_email": True},
                                    anonymous_id=anon))
    elif kind < 0.90:
        remember(analytics.page(user, category="shop", name=rng.choice(["Home", "Cart", "Sale"]), properties={"via": "search"}))
    elif kind < 0.97:
        remember(analytics.screen(anonymous_id=anon, name="Catalog"))
    else:
        remember(analytics.alias(anon, user))

analytics.flush()
analytics.shutdown()
with open(ids_out, "w") as f:
    f.write("\n".join(ids) + "\n")
if errors:
    print("segment client errors:", errors[:5], file=sys.stderr)
    sys.exit(1)
print(f"sent {len(ids)} messages")
