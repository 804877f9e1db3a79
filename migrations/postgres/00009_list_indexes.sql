-- Indexes for the orderings ListLots, ListPurchaseOrders and ListTrades
-- offer. Each ends with id, the implicit last sort key, so that a page's
-- keyset condition, a row comparison such as (ask_price_minor_per_kg, id)
-- > (?, ?), is a range of the index and the page is read in index order
-- without a sort. The composite ones put first the columns a caller's
-- scope or the usual filter fixes by equality: a processor browsing one
-- quality group in one state, an association or a processor listing its
-- own rows.

-- +goose Up
CREATE INDEX lots_create_time_idx ON lots (create_time, id);
CREATE INDEX lots_campaign_idx ON lots (campaign, id);
CREATE INDEX lots_ask_idx ON lots (ask_price_minor_per_kg, id);
CREATE INDEX lots_net_weight_idx ON lots (net_weight_grams, id);
CREATE INDEX lots_association_create_time_idx ON lots (association_id, create_time, id);
CREATE INDEX lots_group_state_ask_idx ON lots (market_quality_group, state, ask_price_minor_per_kg, id);
CREATE INDEX lots_group_state_create_time_idx ON lots (market_quality_group, state, create_time, id);

CREATE INDEX purchase_orders_create_time_idx ON purchase_orders (create_time, id);
CREATE INDEX purchase_orders_expire_time_idx ON purchase_orders (expire_time, id);
CREATE INDEX purchase_orders_bid_idx ON purchase_orders (bid_price_minor_per_kg, id);
CREATE INDEX purchase_orders_processor_expire_time_idx ON purchase_orders (processor_id, expire_time, id);
CREATE INDEX purchase_orders_processor_bid_idx ON purchase_orders (processor_id, bid_price_minor_per_kg, id);

CREATE INDEX trades_update_time_idx ON trades (update_time, id);
CREATE INDEX trades_price_idx ON trades (price_minor_per_kg, id);
CREATE INDEX trades_grams_idx ON trades (grams, id);
-- Trades list newest first by default: create_time descending, then the
-- id ascending, an order that an index on (create_time, id) read backwards
-- does not give.
CREATE INDEX trades_newest_idx ON trades (create_time DESC, id);
CREATE INDEX trades_processor_newest_idx ON trades (processor_id, create_time DESC, id);
CREATE INDEX trades_association_newest_idx ON trades (association_id, create_time DESC, id);

-- +goose Down
DROP INDEX trades_association_newest_idx;
DROP INDEX trades_processor_newest_idx;
DROP INDEX trades_newest_idx;
DROP INDEX trades_grams_idx;
DROP INDEX trades_price_idx;
DROP INDEX trades_update_time_idx;
DROP INDEX purchase_orders_processor_bid_idx;
DROP INDEX purchase_orders_processor_expire_time_idx;
DROP INDEX purchase_orders_bid_idx;
DROP INDEX purchase_orders_expire_time_idx;
DROP INDEX purchase_orders_create_time_idx;
DROP INDEX lots_group_state_create_time_idx;
DROP INDEX lots_group_state_ask_idx;
DROP INDEX lots_association_create_time_idx;
DROP INDEX lots_net_weight_idx;
DROP INDEX lots_ask_idx;
DROP INDEX lots_campaign_idx;
DROP INDEX lots_create_time_idx;
