package olsim

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/risktop/risktop/sources/sim/simkit"
)

// usersPrefix is Get User (v2), GET /api/2/users/:id
// (https://developers.onelogin.com/api-docs/2/users/get-user).
const usersPrefix = "/api/2/users/"

// user serves Get User: the user object itself, no envelope, every field
// of the page's sample present (null where the world has nothing), or the
// documented 404 {"message":"The resource with the given id could not be
// found","name":"NotFoundError","statusCode":404}.
func (s *Server) user(w http.ResponseWriter, r *http.Request) {
	opts := s.options()
	if opts.UsersRefused {
		writeV2Error(w, http.StatusForbidden, "Forbidden", "ForbiddenError")
		return
	}
	raw := strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, opts.BasePath), usersPrefix)
	id, err := strconv.ParseInt(raw, 10, 64)
	var p simkit.Person
	found := false
	if err == nil {
		for _, q := range s.World().People() {
			if q.OneLoginID == id {
				p, found = q, true
				break
			}
		}
	}
	if !found {
		writeV2Error(w, http.StatusNotFound, "The resource with the given id could not be found", "NotFoundError")
		return
	}
	t := s.Faults().Text
	created := s.World().Start().UTC().Format(timeFormat)
	simkit.WriteJSON(w, http.StatusOK, map[string]any{
		"activated_at": created, "distinguished_name": nil, "external_id": nil,
		"firstname": t(p.First), "lastname": t(p.Last), "last_login": nil, "company": nil,
		"directory_id": nil, "invitation_sent_at": nil, "member_of": nil, "updated_at": created,
		"preferred_locale_code": nil, "created_at": created, "userprincipalname": nil,
		"trusted_idp_id": nil, "comment": "", "title": nil, "role_ids": []int64{},
		"department": nil, "id": p.OneLoginID, "custom_attributes": map[string]any{},
		"invalid_login_attempts": 0, "manager_user_id": nil, "locked_until": nil,
		"username": t(Username(p)), "manager_ad_id": nil, "email": t(p.Email), "phone": nil,
		"state": 1, "group_id": nil, "password_changed_at": nil, "status": 1, "samaccountname": nil,
	})
}

// Username is the simulated login name: the email's local part.
func Username(p simkit.Person) string {
	name, _, _ := strings.Cut(p.Email, "@")
	return name
}

// writeV2Error writes the v2 error shape the Get User page documents.
func writeV2Error(w http.ResponseWriter, code int, message, name string) {
	simkit.WriteJSON(w, code, map[string]any{"message": message, "name": name, "statusCode": code})
}
