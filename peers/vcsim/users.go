package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// user is one account of the users file:
//
//	[{"username": "ro@vsphere.local", "password": "...", "role": "ReadOnly", "entity": "datacenter"},
//	 {"username": "mig@vsphere.local", "password": "...", "role": "HitchMigration",
//	  "privileges": ["System.Read", ...], "entity": "root"}]
//
// role names one of the simulator's roles (Admin, ReadOnly, ...) or, with privileges, a role the peer creates.
// entity is where the role is granted, propagating down: "root" (the root folder) or "datacenter" (the first).
type user struct {
	Username   string   `json:"username"`
	Password   string   `json:"password"`
	Role       string   `json:"role"`
	Privileges []string `json:"privileges,omitempty"`
	Entity     string   `json:"entity"`
}

type userTable struct {
	path     string
	fallback []user
}

func loadUsers(path, username string) (*userTable, error) {
	table := &userTable{path: path}
	if path == "" {
		password := os.Getenv("VCSIM_PASSWORD")
		if password == "" {
			return nil, fmt.Errorf("VCSIM_PASSWORD is not set (or pass -users FILE)")
		}
		table.fallback = []user{{Username: username, Password: password, Role: "Admin", Entity: "root"}}
	}
	if _, err := table.current(); err != nil {
		return nil, err
	}
	return table, nil
}

// current reads the users file again, so that a changed password counts from the next login.
func (t *userTable) current() ([]user, error) {
	if t.path == "" {
		return t.fallback, nil
	}
	data, err := os.ReadFile(t.path)
	if err != nil {
		return nil, err
	}
	var users []user
	if err := json.Unmarshal(data, &users); err != nil {
		return nil, fmt.Errorf("%s: %v", t.path, err)
	}
	for _, u := range users {
		if u.Username == "" || u.Password == "" || u.Role == "" || (u.Entity != "root" && u.Entity != "datacenter") {
			return nil, fmt.Errorf("%s: every user needs username, password, role and entity root or datacenter", t.path)
		}
	}
	return users, nil
}

func (t *userTable) valid(username, password string) bool {
	users, err := t.current()
	if err != nil {
		return false
	}
	for _, u := range users {
		if u.Username == username && u.Password == password {
			return true
		}
	}
	return false
}

func serviceContent() types.ServiceContent {
	instance := simulator.Map.Get(types.ManagedObjectReference{Type: "ServiceInstance", Value: "ServiceInstance"})
	return instance.(*simulator.ServiceInstance).Content
}

// grant creates the users' roles, records their permissions where the file says, and makes the authorization
// manager answer HasPrivilegeOnEntities from those permissions.
func grant(table *userTable) error {
	users, err := table.current()
	if err != nil {
		return err
	}
	content := serviceContent()
	manager := simulator.Map.Get(*content.AuthorizationManager).(*simulator.AuthorizationManager)
	datacenter := simulator.Map.Any("Datacenter").Reference()
	for _, u := range users {
		roles := object.AuthorizationRoleList(manager.RoleList)
		role := roles.ByName(u.Role)
		if role == nil {
			if len(u.Privileges) == 0 {
				return fmt.Errorf("role %q is not the simulator's and has no privileges", u.Role)
			}
			body := manager.AddAuthorizationRole(&types.AddAuthorizationRole{Name: u.Role, PrivIds: u.Privileges})
			if fault := body.Fault(); fault != nil {
				return fmt.Errorf("role %q: %v", u.Role, fault.String)
			}
			role = object.AuthorizationRoleList(manager.RoleList).ByName(u.Role)
		}
		entity := content.RootFolder
		if u.Entity == "datacenter" {
			entity = datacenter
		}
		existing := manager.RetrieveEntityPermissions(&types.RetrieveEntityPermissions{Entity: entity}).(*methods.RetrieveEntityPermissionsBody)
		permissions := append(existing.Res.Returnval, types.Permission{
			Entity: &entity, Principal: u.Username, RoleId: role.RoleId, Propagate: true,
		})
		manager.SetEntityPermissions(&types.SetEntityPermissions{Entity: entity, Permission: permissions})
	}
	simulator.Map.Put(&authorization{AuthorizationManager: manager})
	return nil
}

// authorization answers HasPrivilegeOnEntities as vCenter does: the role of the nearest permission for the
// session's user on the entity or an ancestor (propagating) decides.
type authorization struct {
	*simulator.AuthorizationManager
}

func (a *authorization) HasPrivilegeOnEntities(ctx *simulator.Context, req *types.HasPrivilegeOnEntities) soap.HasFault {
	var result []types.EntityPrivilege
	for _, entity := range req.Entity {
		granted := a.privileges(ctx.Session.UserName, entity)
		availability := types.EntityPrivilege{Entity: entity}
		for _, id := range req.PrivId {
			availability.PrivAvailability = append(availability.PrivAvailability,
				types.PrivilegeAvailability{PrivId: id, IsGranted: granted[id]})
		}
		result = append(result, availability)
	}
	return &methods.HasPrivilegeOnEntitiesBody{Res: &types.HasPrivilegeOnEntitiesResponse{Returnval: result}}
}

func (a *authorization) privileges(username string, entity types.ManagedObjectReference) map[string]bool {
	granted := map[string]bool{}
	for reference := &entity; reference != nil; {
		body := a.RetrieveEntityPermissions(&types.RetrieveEntityPermissions{Entity: *reference}).(*methods.RetrieveEntityPermissionsBody)
		for _, permission := range body.Res.Returnval {
			if !strings.EqualFold(permission.Principal, username) || (!permission.Propagate && *reference != entity) {
				continue
			}
			for _, role := range a.RoleList {
				if role.RoleId == permission.RoleId {
					for _, id := range role.Privilege {
						granted[id] = true
					}
				}
			}
			return granted
		}
		managed, ok := simulator.Map.Get(*reference).(mo.Entity)
		if !ok {
			break
		}
		reference = managed.Entity().Parent
	}
	return granted
}

// checkLogins answers a Login with a wrong user or password with vCenter's InvalidLogin fault before the
// simulator (which, without a Listen user, would accept any) sees it.
func checkLogins(next http.Handler, table *userTable) http.Handler {
	return beforeCalls(next, func(w http.ResponseWriter, _ *http.Request, body []byte) bool {
		if username, password, isLogin := parseLogin(body); isLogin && !table.valid(username, password) {
			w.Header().Set("Content-Type", "text/xml; charset=utf-8")
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, invalidLoginFault)
			return false
		}
		return true
	})
}

func parseLogin(body []byte) (username, password string, isLogin bool) {
	decoder := xml.NewDecoder(bytes.NewReader(body))
	var field *string
	for {
		token, err := decoder.Token()
		if err != nil {
			return username, password, isLogin
		}
		switch element := token.(type) {
		case xml.StartElement:
			switch element.Name.Local {
			case "Login":
				isLogin = true
			case "userName":
				field = &username
			case "password":
				field = &password
			default:
				field = nil
			}
		case xml.CharData:
			if field != nil {
				*field += string(element)
			}
		case xml.EndElement:
			field = nil
		}
	}
}

const invalidLoginFault = `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>Cannot complete login due to an incorrect user name or password.</faultstring><detail><InvalidLoginFault xmlns="urn:vim25" xsi:type="InvalidLogin"></InvalidLoginFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>`
