package main

import (
	"strconv"
	"sync"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// defaultPageSize is how many objects a RetrievePropertiesEx answers with when the request sets no maxObjects;
// the simulator itself answers with everything at once, vCenter pages.
var defaultPageSize = 100

// pagingCollector pages RetrievePropertiesEx as vCenter does: at most maxObjects (or defaultPageSize) objects,
// with a token for ContinueRetrievePropertiesEx. The simulator makes one per session from this type.
type pagingCollector struct {
	simulator.PropertyCollector

	lock    sync.Mutex
	next    int
	pending map[string]pendingPages
}

type pendingPages struct {
	objects []types.ObjectContent
	size    int
}

func installPagingCollector() {
	reference := serviceContent().PropertyCollector
	original := simulator.Map.Get(reference).(*simulator.PropertyCollector)
	collector := &pagingCollector{}
	collector.Self = original.Self
	simulator.Map.Put(collector)
}

func (pc *pagingCollector) RetrievePropertiesEx(ctx *simulator.Context, r *types.RetrievePropertiesEx) soap.HasFault {
	body := pc.PropertyCollector.RetrievePropertiesEx(ctx, r).(*methods.RetrievePropertiesExBody)
	if body.Res == nil || body.Res.Returnval == nil {
		return body
	}
	size := int(r.Options.MaxObjects)
	if size <= 0 {
		size = defaultPageSize
	}
	body.Res.Returnval.Objects, body.Res.Returnval.Token = pc.page(body.Res.Returnval.Objects, size)
	return body
}

func (pc *pagingCollector) ContinueRetrievePropertiesEx(ctx *simulator.Context, r *types.ContinueRetrievePropertiesEx) soap.HasFault {
	pc.lock.Lock()
	pending, found := pc.pending[r.Token]
	delete(pc.pending, r.Token)
	pc.lock.Unlock()
	body := &methods.ContinueRetrievePropertiesExBody{}
	if !found {
		body.Fault_ = simulator.Fault("unknown token", &types.InvalidArgument{InvalidProperty: "token"})
		return body
	}
	objects, token := pc.page(pending.objects, pending.size)
	body.Res = &types.ContinueRetrievePropertiesExResponse{Returnval: types.RetrieveResult{Objects: objects, Token: token}}
	return body
}

func (pc *pagingCollector) CancelRetrievePropertiesEx(ctx *simulator.Context, r *types.CancelRetrievePropertiesEx) soap.HasFault {
	pc.lock.Lock()
	delete(pc.pending, r.Token)
	pc.lock.Unlock()
	return &methods.CancelRetrievePropertiesExBody{Res: &types.CancelRetrievePropertiesExResponse{}}
}

// page returns the first size objects and, when more remain, the token that continues with them.
func (pc *pagingCollector) page(objects []types.ObjectContent, size int) ([]types.ObjectContent, string) {
	if len(objects) <= size {
		return objects, ""
	}
	pc.lock.Lock()
	defer pc.lock.Unlock()
	if pc.pending == nil {
		pc.pending = map[string]pendingPages{}
	}
	pc.next++
	token := strconv.Itoa(pc.next)
	pc.pending[token] = pendingPages{objects: objects[size:], size: size}
	return objects[:size], token
}
