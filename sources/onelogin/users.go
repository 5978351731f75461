package onelogin

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/sanitize"
)

// usersPath is Get User (v2): GET /api/2/users/:id, answering the user
// object itself, no envelope, or 404 {"message":"The resource with the
// given id could not be found","name":"NotFoundError","statusCode":404}.
// It needs a credential with Read Users, Manage users, Read All or Manage
// All (https://developers.onelogin.com/api-docs/2/users/get-user; the
// official Go SDK builds the same path, UserPathV2 + id, in
// onelogin/onelogin-go-sdk pkg/onelogin/users.go GetUserByIDWithContext).
const usersPath = "/api/2/users/"

// hintUsersScope names the scopes the Get User page lists.
const hintUsersScope = "reading OneLogin users needs an API credential with Read users, Manage users, Read All or Manage All (Developers → API Credentials); without it people are joined by display name, a guess"

// User is the part of a OneLogin user risktop needs to join a person
// across vendors. Field names as in the Get User sample and the SDK model
// (onelogin-go-sdk pkg/onelogin/models/user.go: email, username,
// firstname, lastname, id).
type User struct {
	ID        int64
	Email     string
	Username  string
	Firstname string
	Lastname  string
}

// ErrNoSuchUser is Get User's 404: the id names no user (deleted since
// the event, or never one).
var ErrNoSuchUser = errors.New("onelogin: no such user")

// GetUser reads one user by id. A 404 is ErrNoSuchUser (wrapped with the
// request's error); a 401 or 403 carries the hint naming the scopes.
func (c *Client) GetUser(ctx context.Context, id int64) (User, error) {
	if id <= 0 {
		return User{}, errors.New("onelogin: user id must be positive")
	}
	op := "GET " + usersPath + ":id"
	var body struct {
		ID        FlexID `json:"id"`
		Email     string `json:"email"`
		Username  string `json:"username"`
		Firstname string `json:"firstname"`
		Lastname  string `json:"lastname"`
	}
	req := httpx.Request{Method: http.MethodGet, Path: usersPath + strconv.FormatInt(id, 10), Op: op}
	if _, err := c.do(ctx, req, &body); err != nil {
		var he *httpx.Error
		if errors.As(err, &he) {
			switch he.Status {
			case http.StatusNotFound:
				return User{}, &notFound{err}
			case http.StatusForbidden, http.StatusUnauthorized:
				he.Hint = hintUsersScope
			}
		}
		return User{}, err
	}
	u := User{ID: id, Email: body.Email, Username: body.Username, Firstname: body.Firstname, Lastname: body.Lastname}
	if body.ID.Set && body.ID.Value != id {
		return User{}, &httpx.Error{Vendor: vendorName, Op: op, Kind: httpx.KindDecode,
			Err: errors.New("the answer is another user (id " + strconv.FormatInt(body.ID.Value, 10) + ")")}
	}
	u.Email = sanitize.LineN(u.Email, 320)
	u.Username = sanitize.LineN(u.Username, 200)
	u.Firstname = sanitize.LineN(u.Firstname, 200)
	u.Lastname = sanitize.LineN(u.Lastname, 200)
	return u, nil
}

type notFound struct{ err error }

func (e *notFound) Error() string        { return e.err.Error() }
func (e *notFound) Unwrap() []error      { return []error{ErrNoSuchUser, e.err} }
func (e *notFound) Is(target error) bool { return target == ErrNoSuchUser }

// FlexID is an id that OneLogin may send as a number or as a numeric
// string (the event resource documents integers, but a field that is an
// integer in one API version and a string in another is the kind of drift
// a poller must survive); null or absent leaves it unset. Anything else is
// an error.
type FlexID struct {
	Value int64
	Set   bool
}

// UnmarshalJSON accepts 123, "123" and null.
func (f *FlexID) UnmarshalJSON(b []byte) error {
	*f = FlexID{}
	if string(b) == "null" {
		return nil
	}
	raw := b
	var s string
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		if s == "" {
			return nil // an empty string is no id, as null is
		}
		raw = []byte(s)
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		return &idError{raw: string(b)}
	}
	f.Value, f.Set = n, true
	return nil
}

// Ptr is the id as *int64, nil when unset.
func (f FlexID) Ptr() *int64 {
	if !f.Set {
		return nil
	}
	v := f.Value
	return &v
}

type idError struct{ raw string }

func (e *idError) Error() string {
	return "is not an id: " + sanitize.LineN(e.raw, 40)
}
