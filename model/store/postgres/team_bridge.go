package postgres

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/risktop/risktop/model/hub"
)

// Shared news: every instance on the database hears what the others'
// hubs announce. A bridge sends what its hub publishes locally as
// NOTIFY risktop, JSON in the payload, and publishes what other instances
// sent into its hub as remote messages (hub.PublishRemote), which it does
// not send again (hub.SubscribeLocal): no echo.
//
// A bridge that starts listening (first, or after losing its connection)
// says hello; every other bridge answers with a replay of its hub's
// current state (health, user views, scores), so a new instance's
// dashboards do not wait for the leaders' next polls. Replays carry the
// time their message was first sent, and a bridge ignores a replay older
// than what it has heard or sent for that key: a former leader's stale
// views do not overwrite the current leader's.

// newsChannel is the LISTEN/NOTIFY channel of the news.
const newsChannel = "risktop"

// maxPayload bounds a notification's payload: PostgreSQL refuses 8000
// bytes and more. A larger message (a vendor's user views) goes into
// team_news and the notification says where.
const maxPayload = 7999

// newsKeep is how long a message stays in team_news for listeners to
// read.
const newsKeep = 10 * time.Minute

// newsSchema holds the messages too large to notify, gzipped JSON
// envelopes. Created by the first bridge to need it, not a migration:
// it is a mailbox, not data (nothing copies or prunes it but the bridge).
const newsSchema = `
CREATE TABLE IF NOT EXISTS team_news (
	id      BIGSERIAL PRIMARY KEY,
	at      BIGINT NOT NULL,
	payload BYTEA  NOT NULL
)`

// newsSchemaLock serialises the creation of team_news by instances
// starting together (CREATE TABLE IF NOT EXISTS alone can collide).
const newsSchemaLock = 0x7269736b746f7002 // "risktop\x02"

// Bridge back-off after a failed send or a lost listening connection,
// doubling from bridgeMinBackoff to bridgeMaxBackoff.
const (
	bridgeMinBackoff = 100 * time.Millisecond
	bridgeMaxBackoff = 5 * time.Second
	// bridgeIdle is how long the listener waits for news before checking
	// its connection answers (a network cut silently sends nothing).
	bridgeIdle = 15 * time.Second
)

// envelope is one notification: who sent which message.
type envelope struct {
	From    string          `json:"from"`    // the sender's instance name, for people
	Session string          `json:"session"` // the sending store's session: a bridge skips its own
	Kind    string          `json:"kind"`    // see kindOf
	Msg     json.RawMessage `json:"msg,omitempty"`
	// Ref: the message was too large to notify; it is team_news row Ref.
	Ref int64 `json:"ref,omitempty"`
	// At is when the message was first sent (unix µs, the sender's clock).
	At int64 `json:"at,omitempty"`
	// Replay: sent again to answer a hello, not news.
	Replay bool `json:"replay,omitempty"`
}

// helloKind asks the other bridges to replay their state.
const helloKind = "hello"

// replayed says whether a kind is state worth replaying to a newcomer
// (not a count or a "reload" signal).
func replayed(kind string) bool { return kind == "health" || kind == "users" || kind == "scores" }

// kindOf names a hub message's type on the wire; "" for a type the
// bridge does not carry.
func kindOf(m hub.Msg) string {
	switch m.(type) {
	case hub.HealthMsg:
		return "health"
	case hub.EventsMsg:
		return "events"
	case hub.UsersMsg:
		return "users"
	case hub.ScoresMsg:
		return "scores"
	case hub.ActionsChanged:
		return "actions"
	case hub.AlertsChanged:
		return "alerts"
	}
	return ""
}

// encodeMsg is m's kind and JSON.
func encodeMsg(m hub.Msg) (string, []byte, error) {
	kind := kindOf(m)
	if kind == "" {
		return "", nil, fmt.Errorf("news: no wire form for %T", m)
	}
	b, err := json.Marshal(m)
	return kind, b, err
}

// decodeMsg is encodeMsg's inverse.
func decodeMsg(kind string, b []byte) (hub.Msg, error) {
	var (
		m   hub.Msg
		err error
	)
	switch kind {
	case "health":
		var v hub.HealthMsg
		err = json.Unmarshal(b, &v)
		m = v
	case "events":
		var v hub.EventsMsg
		err = json.Unmarshal(b, &v)
		m = v
	case "users":
		var v hub.UsersMsg
		err = json.Unmarshal(b, &v)
		m = v
	case "scores":
		var v hub.ScoresMsg
		err = json.Unmarshal(b, &v)
		m = v
	case "actions":
		m = hub.ActionsChanged{}
	case "alerts":
		var v hub.AlertsChanged
		err = json.Unmarshal(b, &v)
		m = v
	default:
		return nil, fmt.Errorf("news: unknown kind %q (a newer risktop?)", kind)
	}
	if err != nil {
		return nil, fmt.Errorf("news: %s: %w", kind, err)
	}
	return m, nil
}

// BridgeStatus is how a bridge is doing, for the health line.
type BridgeStatus struct {
	// Listening: connected and hearing the other instances.
	Listening bool
	// Err is the last failure (listening or sending), nil when none
	// since the last success.
	Err error
	// RetryIn is when the failed part tries again.
	RetryIn time.Duration
}

// bridge is one Bridge call's state.
type bridge struct {
	s        *Store
	bus      *hub.Hub
	instance string

	mu        sync.Mutex // serialises onStatus, guards status
	status    BridgeStatus
	onStatus  func(BridgeStatus)
	newsTable bool // team_news exists (the sender made sure)

	// replay is signalled when another bridge said hello.
	replay chan struct{}

	atMu sync.Mutex
	// sentAt is when this bridge last sent each key live; lastAt the
	// newest At heard or sent per key (replays older are stale).
	sentAt, lastAt map[string]int64
}

func newBridge(s *Store, bus *hub.Hub, instance string, onStatus func(BridgeStatus)) *bridge {
	return &bridge{s: s, bus: bus, instance: instance, onStatus: onStatus,
		replay: make(chan struct{}, 1), sentAt: map[string]int64{}, lastAt: map[string]int64{}}
}

// sent records that msgs went out live at at.
func (b *bridge) sent(msgs []hub.Msg, at int64) {
	b.atMu.Lock()
	defer b.atMu.Unlock()
	for _, m := range msgs {
		b.sentAt[m.Key()] = at
		b.lastAt[m.Key()] = max(b.lastAt[m.Key()], at)
	}
}

// fresh says whether a message heard for key, sent at at, is to be
// published, and records it: news always, a replay only when newer than
// anything heard or sent for key.
func (b *bridge) fresh(key string, at int64, replay bool) bool {
	b.atMu.Lock()
	defer b.atMu.Unlock()
	last := b.lastAt[key]
	if replay && at <= last {
		return false
	}
	b.lastAt[key] = max(last, at)
	return true
}

// Bridge shares news between the instances on this database until ctx
// is done, then returns nil (an error only for a nil bus).
//
// It sends every message published locally on bus (not those it
// received: see hub.SubscribeLocal) to the others with pg_notify on
// channel "risktop", as JSON naming instance and this store's session; a
// message of 8000 bytes or more (a vendor's user views) is stored in
// table team_news for ten minutes and the notification carries its id. A
// send that fails is retried with back-off, folded with what was
// published meanwhile (hub.Fold). It listens on a connection of its own
// and publishes what other stores sent on bus with hub.PublishRemote;
// when that connection breaks it connects again with back-off. Each time
// it starts listening it says hello, and the other bridges replay their
// hubs' latest health, user views and scores (see above); once back after
// a break it also publishes ActionsChanged and AlertsChanged (the store's
// AlertSeq) as remote messages, since news sent meanwhile was lost.
//
// onStatus (may be nil) hears every change of the bridge's state,
// one call at a time.
func (s *Store) Bridge(ctx context.Context, bus *hub.Hub, instance string, onStatus func(BridgeStatus)) error {
	if bus == nil {
		return errors.New("news: no hub to bridge")
	}
	b := newBridge(s, bus, instance, onStatus)
	sub := bus.SubscribeLocal()
	defer sub.Close()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		b.sendLoop(ctx, sub)
	}()
	b.listenLoop(ctx)
	wg.Wait()
	return nil
}

// report updates the status and tells onStatus.
func (b *bridge) report(update func(*BridgeStatus)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	update(&b.status)
	if b.onStatus != nil {
		b.onStatus(b.status)
	}
}

// sendLoop sends what the hub publishes locally, and replays when asked,
// until ctx is done.
func (b *bridge) sendLoop(ctx context.Context, sub *hub.Subscription) {
	var pending []hub.Msg // not sent yet, one per key
	replay := false       // a replay is owed
	backoff := bridgeMinBackoff
	for {
		if len(pending) == 0 && !replay {
			select {
			case <-ctx.Done():
				return
			case <-sub.Ready():
			case <-b.replay:
				replay = true
			}
		} else {
			sleep(ctx, backoff)
			if ctx.Err() != nil {
				return
			}
		}
		select {
		case <-b.replay:
			replay = true
		default:
		}
		pending = foldInto(pending, sub.Take())
		var err error
		if len(pending) > 0 {
			if err = b.send(ctx, pending, false); err == nil {
				pending = pending[:0]
			}
		}
		if err == nil && replay {
			if err = b.send(ctx, b.state(), true); err == nil {
				replay = false
			}
		}
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			wait := backoff
			b.report(func(st *BridgeStatus) {
				st.Err = fmt.Errorf("news: sending to the other instances: %w", err)
				st.RetryIn = wait
			})
			backoff = min(2*backoff, bridgeMaxBackoff)
			continue
		}
		if backoff != bridgeMinBackoff {
			b.report(func(st *BridgeStatus) { st.Err, st.RetryIn = nil, 0 })
		}
		backoff = bridgeMinBackoff
	}
}

// state is the hub's latest local message of every key worth replaying.
func (b *bridge) state() []hub.Msg {
	sub := b.bus.SubscribeLocal()
	defer sub.Close()
	var out []hub.Msg
	for _, m := range sub.Take() {
		if replayed(kindOf(m)) {
			out = append(out, m)
		}
	}
	return out
}

// foldInto adds msgs to pending, folding same keys (hub.Fold).
func foldInto(pending, msgs []hub.Msg) []hub.Msg {
next:
	for _, m := range msgs {
		for i, p := range pending {
			if p.Key() == m.Key() {
				pending[i] = hub.Fold(p, m)
				continue next
			}
		}
		pending = append(pending, m)
	}
	return pending
}

// send notifies msgs in one transaction, so they arrive in order; a
// replay sends each with the time it was sent live, and skips what was
// never sent (the live send is still to come).
func (b *bridge) send(ctx context.Context, msgs []hub.Msg, replay bool) error {
	type note struct {
		payload []byte
		large   bool
	}
	now := time.Now().UnixMicro()
	notes := make([]note, 0, len(msgs))
	large := false
	for _, m := range msgs {
		kind, body, err := encodeMsg(m)
		if err != nil {
			continue // a type only this instance knows: nothing to share
		}
		at := now
		if replay {
			b.atMu.Lock()
			at = b.sentAt[m.Key()]
			b.atMu.Unlock()
			if at == 0 {
				continue
			}
		}
		p, err := json.Marshal(envelope{From: b.instance, Session: b.s.session, Kind: kind, Msg: body, At: at, Replay: replay})
		if err != nil {
			return err
		}
		notes = append(notes, note{p, len(p) > maxPayload})
		large = large || len(p) > maxPayload
	}
	if len(notes) == 0 {
		return nil
	}
	if large && !b.newsTable {
		if err := b.createNewsTable(ctx); err != nil {
			return err
		}
		b.newsTable = true
	}
	err := pgx.BeginFunc(ctx, b.s.pool, func(tx pgx.Tx) error {
		now := time.Now()
		for _, n := range notes {
			p := n.payload
			if n.large {
				var env envelope
				json.Unmarshal(p, &env) // just marshalled
				z, err := gzipped(p)
				if err != nil {
					return err
				}
				var id int64
				if err := tx.QueryRow(ctx, `INSERT INTO team_news (at, payload) VALUES ($1, $2) RETURNING id`, unixMs(now), z).Scan(&id); err != nil {
					return err
				}
				p, _ = json.Marshal(envelope{From: env.From, Session: env.Session, Kind: env.Kind, Ref: id, At: env.At, Replay: env.Replay})
			}
			if _, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, newsChannel, string(p)); err != nil {
				return err
			}
		}
		if large {
			_, err := tx.Exec(ctx, `DELETE FROM team_news WHERE at < $1`, unixMs(now.Add(-newsKeep)))
			return err
		}
		return nil
	})
	if err == nil && !replay {
		b.sent(msgs, now)
	}
	return err
}

func (b *bridge) createNewsTable(ctx context.Context) error {
	return pgx.BeginFunc(ctx, b.s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(newsSchemaLock)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, newsSchema)
		return err
	})
}

func gzipped(p []byte) ([]byte, error) {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	if _, err := w.Write(p); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func gunzipped(z []byte) ([]byte, error) {
	r, err := gzip.NewReader(bytes.NewReader(z))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

// listenLoop listens for the others' news until ctx is done, connecting
// again with back-off whenever the connection fails.
func (b *bridge) listenLoop(ctx context.Context) {
	backoff := bridgeMinBackoff
	for heard := false; ctx.Err() == nil; {
		conn, err := b.s.dedicated(ctx, cut63("risktop news "+b.instance), nil)
		if err == nil {
			_, err = conn.Exec(ctx, `LISTEN `+newsChannel)
		}
		if err == nil {
			err = b.hello(ctx)
		}
		if err == nil {
			b.report(func(st *BridgeStatus) { st.Listening, st.Err, st.RetryIn = true, nil, 0 })
			if heard {
				b.resync(ctx)
			}
			heard = true
			backoff = bridgeMinBackoff
			err = b.listen(ctx, conn)
		}
		if conn != nil {
			closeQuietly(conn)
		}
		if ctx.Err() != nil {
			return
		}
		wait := backoff
		b.report(func(st *BridgeStatus) {
			st.Listening = false
			st.Err = fmt.Errorf("news: listening to the other instances: %w", err)
			st.RetryIn = wait
		})
		sleep(ctx, wait)
		backoff = min(2*backoff, bridgeMaxBackoff)
	}
}

// hello asks the other bridges to replay their state, now that this one
// hears them.
func (b *bridge) hello(ctx context.Context) error {
	p, _ := json.Marshal(envelope{From: b.instance, Session: b.s.session, Kind: helloKind})
	qctx, cancel := context.WithTimeout(ctx, bridgeIdle)
	defer cancel()
	_, err := b.s.pool.Exec(qctx, `SELECT pg_notify($1, $2)`, newsChannel, string(p))
	return err
}

// listen hands every notification on conn to receive until the
// connection fails or ctx is done.
func (b *bridge) listen(ctx context.Context, conn *pgx.Conn) error {
	for {
		wctx, cancel := context.WithTimeout(ctx, bridgeIdle)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil && wctx.Err() != nil && !conn.IsClosed():
			if err := ping(ctx, conn, bridgeIdle); err != nil {
				return err
			}
		case err != nil:
			return err
		default:
			b.receive(ctx, n.Payload)
		}
	}
}

// receive publishes one notification's message on the hub, unless this
// store sent it. A payload it cannot read is skipped: the news of a
// newer risktop, or a row already pruned.
func (b *bridge) receive(ctx context.Context, payload string) {
	var env envelope
	if json.Unmarshal([]byte(payload), &env) != nil || env.Session == b.s.session {
		return
	}
	if env.Kind == helloKind {
		select {
		case b.replay <- struct{}{}:
		default: // one is owed already
		}
		return
	}
	if env.Ref != 0 {
		var z []byte
		qctx, cancel := context.WithTimeout(ctx, bridgeIdle)
		err := b.s.pool.QueryRow(qctx, `SELECT payload FROM team_news WHERE id = $1`, env.Ref).Scan(&z)
		cancel()
		if err != nil {
			return
		}
		p, err := gunzipped(z)
		if err != nil || json.Unmarshal(p, &env) != nil {
			return
		}
	}
	m, err := decodeMsg(env.Kind, env.Msg)
	if err != nil || !b.fresh(m.Key(), env.At, env.Replay) {
		return
	}
	b.bus.PublishRemote(m)
}

// resync tells the hub's readers to read the store again after the
// listener was away: news sent meanwhile is lost.
func (b *bridge) resync(ctx context.Context) {
	b.bus.PublishRemote(hub.ActionsChanged{})
	qctx, cancel := context.WithTimeout(ctx, bridgeIdle)
	defer cancel()
	if seq, err := b.s.AlertSeq(qctx); err == nil {
		b.bus.PublishRemote(hub.AlertsChanged{Seq: seq})
	}
}
