package auth

import "github.com/millwa/millwa/internal/millwa"

// Access says who may call an RPC. A public RPC needs no key; any other
// needs a valid key whose role is listed. Services then check the object:
// which organisation's data the role may see or change.
type Access struct {
	Public bool
	Roles  []millwa.Role
}

// Allows reports whether a key of the given role may call the RPC.
func (a Access) Allows(r millwa.Role) bool {
	for _, allowed := range a.Roles {
		if allowed == r {
			return true
		}
	}
	return false
}

var (
	public      = Access{Public: true}
	admin       = Access{Roles: []millwa.Role{millwa.RoleAdmin}}
	anyRole     = Access{Roles: []millwa.Role{millwa.RoleAdmin, millwa.RoleAssociation, millwa.RoleProcessor, millwa.RoleAgency}}
	ownAssoc    = Access{Roles: []millwa.Role{millwa.RoleAdmin, millwa.RoleAssociation}}
	assocAgency = Access{Roles: []millwa.Role{millwa.RoleAdmin, millwa.RoleAssociation, millwa.RoleAgency}}
	ownProc     = Access{Roles: []millwa.Role{millwa.RoleAdmin, millwa.RoleProcessor}}
	traders     = Access{Roles: []millwa.Role{millwa.RoleAdmin, millwa.RoleAssociation, millwa.RoleProcessor}}
	parties     = Access{Roles: []millwa.Role{millwa.RoleAssociation, millwa.RoleProcessor}}
	agencyRead  = Access{Roles: []millwa.Role{millwa.RoleAdmin, millwa.RoleAgency}}
)

// Policy maps every RPC of the API, by full method name, to who may call
// it. An RPC missing from it is refused (a test checks that none is
// missing). The roles follow the "Caller" line of each RPC in the proto.
var Policy = map[string]Access{
	"/millwa.v1.GradingService/ListStandards":  public,
	"/millwa.v1.GradingService/GetStandard":    public,
	"/millwa.v1.GradingService/GradeSample":    public,
	"/millwa.v1.GradingService/ClassifyFleece": public,

	"/millwa.v1.IdentityService/WhoAmI":             anyRole,
	"/millwa.v1.IdentityService/CreateApiKey":       anyRole, // admins, and org admins for their organisation
	"/millwa.v1.IdentityService/ListApiKeys":        anyRole,
	"/millwa.v1.IdentityService/RevokeApiKey":       anyRole,
	"/millwa.v1.IdentityService/CreateSessionToken": anyRole,

	"/millwa.v1.RegistryService/CreateAssociation": admin,
	"/millwa.v1.RegistryService/GetAssociation":    anyRole,
	"/millwa.v1.RegistryService/ListAssociations":  anyRole,
	"/millwa.v1.RegistryService/CreateMember":      ownAssoc,
	"/millwa.v1.RegistryService/ListMembers":       ownAssoc,
	"/millwa.v1.RegistryService/CreateClassifier":  ownAssoc,
	"/millwa.v1.RegistryService/ListClassifiers":   assocAgency,
	"/millwa.v1.RegistryService/CreateLot":         ownAssoc,
	"/millwa.v1.RegistryService/BatchCreateLots":   ownAssoc,
	"/millwa.v1.RegistryService/GetLot":            anyRole,
	"/millwa.v1.RegistryService/ListLots":          anyRole,
	"/millwa.v1.RegistryService/WithdrawLot":       ownAssoc,
	"/millwa.v1.RegistryService/GetLotLabel":       traders, // a processor: the lots it sees (its trades')
	// Receipts and statements are member data: only the association and
	// admins see them. Their reads admit every role so that a processor or
	// an agency learns nothing, not even that one exists: the store's scope
	// answers NotFound.
	"/millwa.v1.RegistryService/CreateReceipt":        ownAssoc,
	"/millwa.v1.RegistryService/GetReceipt":           anyRole,
	"/millwa.v1.RegistryService/ListReceipts":         ownAssoc,
	"/millwa.v1.RegistryService/VoidReceipt":          ownAssoc,
	"/millwa.v1.RegistryService/GetMemberStatement":   anyRole,
	"/millwa.v1.RegistryService/ListMemberStatements": ownAssoc,
	"/millwa.v1.RegistryService/RecordMemberPayment":  ownAssoc,
	// Reads of members and classifiers admit every role as GetReceipt
	// does: the store's scope answers NotFound to a processor (and to an
	// agency, for members). Corrections are the association's own.
	"/millwa.v1.RegistryService/GetMember":     anyRole,
	"/millwa.v1.RegistryService/GetClassifier": anyRole,
	// A classifier's record is seen by their association and the agencies
	// of its region (the store's scope); agencies reverse a sanction.
	"/millwa.v1.RegistryService/GetClassifierRecord":       anyRole,
	"/millwa.v1.RegistryService/ReverseClassifierSanction": agencyRead,
	"/millwa.v1.RegistryService/UpdateAssociation":         ownAssoc,
	"/millwa.v1.RegistryService/UpdateMember":              ownAssoc,
	"/millwa.v1.RegistryService/UpdateClassifier":          ownAssoc,
	"/millwa.v1.RegistryService/UpdateLot":                 ownAssoc,

	"/millwa.v1.MarketService/CreateProcessor":     admin,
	"/millwa.v1.MarketService/GetProcessor":        traders,
	"/millwa.v1.MarketService/ListProcessors":      traders,
	"/millwa.v1.MarketService/CreatePurchaseOrder": ownProc,
	"/millwa.v1.MarketService/GetPurchaseOrder":    ownProc,
	"/millwa.v1.MarketService/ListPurchaseOrders":  ownProc,
	"/millwa.v1.MarketService/CancelPurchaseOrder": ownProc,
	"/millwa.v1.MarketService/UpdatePurchaseOrder": ownProc,
	"/millwa.v1.MarketService/RunClearing":         admin,
	"/millwa.v1.MarketService/ListTrades":          traders,
	"/millwa.v1.MarketService/GetTrade":            traders,
	"/millwa.v1.MarketService/ConfirmTrade":        parties,
	"/millwa.v1.MarketService/RecordDelivery":      ownProc,
	"/millwa.v1.MarketService/RecordPayment":       ownProc,
	"/millwa.v1.MarketService/DeclineTrade":        ownAssoc,
	// Claims are seen by the trade's parties and the agency of the lot's
	// region (the store's scope answers NotFound to anyone else); the
	// processor files, the association answers, the agency decides.
	"/millwa.v1.MarketService/FileClaim":      ownProc,
	"/millwa.v1.MarketService/GetClaim":       anyRole,
	"/millwa.v1.MarketService/ListClaims":     anyRole,
	"/millwa.v1.MarketService/AcceptClaim":    ownAssoc,
	"/millwa.v1.MarketService/ReferClaim":     ownAssoc,
	"/millwa.v1.MarketService/DecideClaim":    agencyRead,
	"/millwa.v1.MarketService/GetMarketStats": public,
	"/millwa.v1.MarketService/WatchMarket":    traders,
	// Webhooks are an organisation's own: the service answers NotFound for
	// another organisation's.
	"/millwa.v1.MarketService/CreateWebhook":         anyRole,
	"/millwa.v1.MarketService/GetWebhook":            anyRole,
	"/millwa.v1.MarketService/ListWebhooks":          anyRole,
	"/millwa.v1.MarketService/DeleteWebhook":         anyRole,
	"/millwa.v1.MarketService/ReplayWebhook":         anyRole,
	"/millwa.v1.MarketService/ListWebhookDeliveries": anyRole,

	"/millwa.v1.AuditService/CreateAgency":         admin,
	"/millwa.v1.AuditService/GetAgency":            agencyRead,
	"/millwa.v1.AuditService/ListAgencies":         agencyRead,
	"/millwa.v1.AuditService/ProposeSamplingPlan":  agencyRead,
	"/millwa.v1.AuditService/GetSamplingPlan":      agencyRead,
	"/millwa.v1.AuditService/ListSamplingPlans":    agencyRead,
	"/millwa.v1.AuditService/RecordCheckGrading":   agencyRead,
	"/millwa.v1.AuditService/GetCheckGrading":      agencyRead,
	"/millwa.v1.AuditService/ListCheckGradings":    agencyRead,
	"/millwa.v1.AuditService/GetConsistencyReport": agencyRead,
	"/millwa.v1.AuditService/ListAuditEvents":      agencyRead,
	"/millwa.v1.AuditService/VerifyAuditLog":       agencyRead,
	// Not public: a checkpoint's sequence counts every change made, which
	// tells outsiders how busy the market is; agencies are its monitors.
	"/millwa.v1.AuditService/GetAuditCheckpoint": agencyRead,

	// The observatory publishes only figures that pass its disclosure
	// rules; surveyed prices are recorded by agencies in their regions.
	"/millwa.v1.ObservatoryService/GetPriceIndex":          public,
	"/millwa.v1.ObservatoryService/ListPriceSeries":        public,
	"/millwa.v1.ObservatoryService/GetInclusionIndicators": public,
	"/millwa.v1.ObservatoryService/RecordReferencePrice":   agencyRead,

	// Infrastructure: health checks and reflection serve load balancers and
	// tools without keys.
	"/grpc.health.v1.Health/Check":                                   public,
	"/grpc.health.v1.Health/List":                                    public,
	"/grpc.health.v1.Health/Watch":                                   public,
	"/grpc.reflection.v1.ServerReflection/ServerReflectionInfo":      public,
	"/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo": public,
}
