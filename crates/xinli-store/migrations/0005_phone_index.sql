-- A blind index of each customer's phone number (HMAC of its digits, crypto::phone_index), so the
-- customer 360 can be found by phone like by email. Customers stored before this migration get
-- theirs at their next identify or at `xinli keys rotate-pii`.
ALTER TABLE customers ADD COLUMN phone_index TEXT;
CREATE INDEX customers_phone_index ON customers (phone_index);
