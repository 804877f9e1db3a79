// Package demo is "millwa demo": a realistic shearing season seeded
// through the API of a server started in-process, for trying Millwa out
// and for showing it. It is kept out of the server's main package, which
// holds only what serving needs.
package demo

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/cmd/millwa/internal/instance"
	"github.com/millwa/millwa/internal/auth"
	"github.com/millwa/millwa/internal/config"
	"github.com/millwa/millwa/internal/millwa"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// NewCommand is "millwa demo": it seeds a realistic shearing season
// into the configured database through the API itself, so that every rule,
// grade and audit event applies. Data and request ids are derived from the
// seed, so running it again creates nothing twice, and the summary it
// prints names people and lots, never ids or clock times, so that two runs
// on fresh databases print the same text. A first admin key, when one is
// made, is announced on stderr.
func NewCommand(stdout io.Writer, cfg *config.Config, envErr *error) *cobra.Command {
	var seed uint64
	var lotsPer int
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Seed a realistic season: associations, members, classifiers, receipts, graded lots, processors' orders and trades, member statements",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if *envErr != nil {
				return *envErr
			}
			return runDemo(cmd.Context(), stdout, cmd.ErrOrStderr(), *cfg, seed, lotsPer)
		},
	}
	cmd.Flags().Uint64Var(&seed, "seed", 2026, "seed of the generated season (the same seed gives the same data)")
	cmd.Flags().IntVar(&lotsPer, "lots", 100, "lots per association")
	return cmd
}

// demoAssociation is one association of the demo season.
type demoAssociation struct {
	legalName, ubigeo, community, person string
	members                              int
}

var demoAssociations = []demoAssociation{
	{"Asociación de Criadores de Alpaca Nuevo Amanecer de Macusani", "211101", "Comunidad Campesina de Chimboya", "Rosa Quispe Mamani", 40},
	{"Asociación de Productores Alpaqueros Señor de Huanca de Maranganí", "080608", "Comunidad Campesina de Sallani", "Juan Condori Huamán", 28},
	{"Asociación de Alpaqueros Virgen de Cocharcas de Pilpichaca", "090707", "Comunidad Campesina de Santa Inés", "María Huamaní Ccora", 22},
	{"Asociación de Criadores Alpaqueros Los Andes de Corani", "211103", "Comunidad Campesina de Chacaconiza", "Hilario Turpo Ccallo", 25},
	{"Asociación de Productores de Fibra Santa Rosa de Mañazo", "210108", "Comunidad Campesina de Cañicuto", "Justina Apaza Layme", 18},
}

// demoGroups are the quality groups a season's lots fall into, with their
// share of lots, the diameter band to draw from and a typical ask in
// céntimos a kilogram (fine fibre above S/ 7/kg, coarse S/ 1.50–2.00/kg).
var demoGroups = []struct {
	code       string
	share      float64
	minUm      float64
	maxUm      float64
	askPerKg   int64
	stapleMmLo float64
}{
	{"SUPER_BABY", 0.05, 18.0, 20.0, 2600, 70},
	{"BABY", 0.20, 20.1, 23.0, 2200, 70},
	{"FLEECE", 0.30, 23.1, 26.5, 1500, 75},
	{"MEDIUM_FLEECE", 0.20, 26.6, 29.0, 1000, 75},
	{"HUARIZO", 0.15, 29.1, 31.5, 550, 80},
	{"COARSE", 0.10, 31.6, 35.0, 200, 80},
}

var demoColours = []string{"WHITE", "WHITE", "WHITE", "WHITE", "LIGHT_FAWN", "FAWN", "LIGHT_BROWN", "BROWN", "BLACK", "GREY"}

func runDemo(ctx context.Context, stdout, stderr io.Writer, cfg config.Config, seed uint64, lotsPer int) error {
	if lotsPer < 1 || lotsPer > 2000 {
		return fmt.Errorf("--lots must be 1 to 2000")
	}
	st, err := instance.OpenStore(ctx, cfg)
	if err != nil {
		return err
	}
	// The season's data is the first thing some operators see: the first
	// admin key is made here as the server would make it, so that the
	// demo's own short-lived key does not stand in for it.
	boot, err := auth.EnsureAdminKey(ctx, st, cfg.AdminKey)
	if err != nil {
		st.Close()
		return fmt.Errorf("making sure an admin key exists: %w", err)
	}
	if boot.Secret != "" {
		auth.AnnounceSecret(stderr, boot.Secret)
	}
	key := millwa.APIKey{DisplayName: "millwa demo", Role: millwa.RoleAdmin, ExpireTime: time.Now().Add(time.Hour).UTC().Truncate(time.Microsecond)}
	secret, err := auth.CreateKey(ctx, st, &key)
	st.Close()
	if err != nil {
		return err
	}

	cfg.RateLimit, cfg.RateBurst = 1e6, 1e6
	// Orders and lots rest until the season's clearing, so that the demo
	// shows what an optimal clearing gains over first come, first served.
	cfg.ContinuousMatching = false
	srv, err := instance.Start(ctx, cfg)
	if err != nil {
		return err
	}
	defer srv.Stop()
	conn, err := instance.Dial(srv.GRPCAddr(), secret)
	if err != nil {
		return err
	}
	defer conn.Close()
	reg := millwav1.NewRegistryServiceClient(conn)

	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	rid := func(kind string, i ...int) string {
		id := fmt.Sprintf("demo-%d-%s", seed, kind)
		for _, n := range i {
			id += fmt.Sprintf("-%d", n)
		}
		return id
	}
	total := 0
	// The last Puno association also sells whole fleeces, after the audit.
	var fleeceParent string
	// Every association, for the observatory's past season.
	var parties []demoParty
	var fleeceMembers, fleeceClassifiers []string
	// The audit covers every lot of the demo database, reruns included.
	season := newDemoSeason(time.Now())
	for ai, da := range demoAssociations {
		first := fmt.Sprintf("20%08d", 44800000+int(seed%1000)*10+ai)
		acopio := acopioAssociation(da.ubigeo)
		var fee int32
		if acopio {
			fee = demoFeeBasisPoints
		}
		a, err := reg.CreateAssociation(ctx, &millwav1.CreateAssociationRequest{RequestId: rid("association", ai), Association: &millwav1.Association{
			LegalName: da.legalName, Ruc: first + string(millwa.RUCCheckDigit(first)), Ubigeo: da.ubigeo, Community: da.community,
			Contact:        &millwav1.Contact{PersonName: da.person, Phone: fmt.Sprintf("+51 9%02d %03d %03d", 50+ai, rng.IntN(1000), rng.IntN(1000))},
			FeeBasisPoints: fee,
		}})
		if err != nil {
			return fmt.Errorf("creating %s: %w", da.legalName, err)
		}
		parent := a.GetAssociation().GetName()
		var members []string
		for m := range da.members {
			sex := millwav1.Sex_SEX_FEMALE
			if rng.IntN(100) < 45 {
				sex = millwav1.Sex_SEX_MALE
			}
			herd := int32(20 + rng.IntN(180))
			resp, err := reg.CreateMember(ctx, &millwav1.CreateMemberRequest{Parent: parent, RequestId: rid("member", ai, m), Member: &millwav1.Member{
				DisplayName: demoName(rng), Dni: fmt.Sprintf("%08d", 40000000+int(seed%1000)*1000+ai*100+m), Sex: sex, HerdSize: &herd,
			}})
			if err != nil {
				return fmt.Errorf("creating a member: %w", err)
			}
			members = append(members, resp.GetMember().GetName())
		}
		var classifiers []string
		for c := range 2 {
			resp, err := reg.CreateClassifier(ctx, &millwav1.CreateClassifierRequest{Parent: parent, RequestId: rid("classifier", ai, c), Classifier: &millwav1.Classifier{
				DisplayName: demoName(rng), Dni: fmt.Sprintf("%08d", 47000000+int(seed%1000)*1000+ai*10+c),
				CertificationNumber: fmt.Sprintf("SINEACE-ALP-%04d", 100+ai*10+c), CertificationDate: "2023-08-15",
			}})
			if err != nil {
				return fmt.Errorf("creating a classifier: %w", err)
			}
			classifiers = append(classifiers, resp.GetClassifier().GetName())
		}
		// One classifier of the first association is lenient.
		lenient := ""
		if ai == 0 {
			lenient = classifiers[1]
			season.lenient = lenient
		}
		var batch []*millwav1.CreateLotRequest
		var mfds []float64
		for l := range lotsPer {
			lot, mfd := demoLot(rng, l, members, classifiers, lenient)
			// In Puno the members deliver at the collection centre first,
			// and the lot is built from their receipts.
			if acopio {
				if err := receiveContributions(ctx, reg, parent, lot, rid, ai, l); err != nil {
					return err
				}
			}
			batch = append(batch, &millwav1.CreateLotRequest{Lot: lot})
			mfds = append(mfds, mfd)
		}
		resp, err := reg.BatchCreateLots(ctx, &millwav1.BatchCreateLotsRequest{Parent: parent, Requests: batch, RequestId: rid("lots", ai)})
		if err != nil {
			return fmt.Errorf("creating lots of %s: %w", da.legalName, err)
		}
		for i, l := range resp.GetLots() {
			season.mfd[l.GetName()] = mfds[i]
			season.lots = append(season.lots, seasonLot{name: l.GetName(), classifier: l.GetClassifier()})
		}
		total += len(resp.GetLots())
		if acopio {
			fleeceParent, fleeceMembers, fleeceClassifiers = parent, members, classifiers
		}
		parties = append(parties, demoParty{name: parent, ubigeo: da.ubigeo, members: members, classifier: classifiers[0]})
		fmt.Fprintf(stdout, "%s: %d members, %d classifiers, %d lots\n", da.legalName, len(members), len(classifiers), len(resp.GetLots()))
	}
	if err := demoMarket(ctx, stdout, conn, srv.GRPCAddr(), seed, rid); err != nil {
		return err
	}
	if err := demoAudit(ctx, stdout, conn, srv.GRPCAddr(), seed, rid, season); err != nil {
		return err
	}
	if err := demoAcopio(ctx, stdout, conn, srv.GRPCAddr(), seed, rid, fleeceParent, fleeceMembers, fleeceClassifiers); err != nil {
		return err
	}
	if err := demoObservatory(ctx, stdout, conn, srv.GRPCAddr(), seed, rid, parties); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nSeeded %d lots. The demo used an admin key of its own, which expires in an hour.\n", total)
	return nil
}

// demoLot draws one lot: a group by the season's shares, a bale of 20 to
// 46 kg from two to five members, and for about half of the lots a
// laboratory measurement near the group's band. It returns the lot and its
// true mean fibre diameter. A lot classified by lenient is declared one
// group finer than it is, and is not measured (a measurement would give
// the leniency away at once).
func demoLot(rng *rand.Rand, n int, members, classifiers []string, lenient string) (*millwav1.Lot, float64) {
	r, gi := rng.Float64(), 0
	for acc := demoGroups[0].share; r > acc && gi < len(demoGroups)-1; acc += demoGroups[gi].share {
		gi++
	}
	g := demoGroups[gi]
	grams := int64(20000 + rng.IntN(26001))
	contributors := 2 + rng.IntN(4)
	perm := rng.Perm(len(members))[:contributors]
	var contribs []*millwav1.Contribution
	left := grams
	for i, m := range perm {
		share := left
		if i < contributors-1 {
			share = left / int64(contributors-i) * int64(80+rng.IntN(41)) / 100
		}
		contribs = append(contribs, &millwav1.Contribution{Member: members[m], Grams: share})
		left -= share
	}
	classifier := classifiers[rng.IntN(len(classifiers))]
	if lenient != "" {
		// The lenient classifier classifies two lots in three of its
		// association's, so that the audit checks enough of them to judge.
		classifier = classifiers[0]
		if rng.IntN(3) < 2 {
			classifier = lenient
		}
	}
	lot := &millwav1.Lot{
		Campaign: 2026, Breed: "HUACAYA", Colour: demoColours[rng.IntN(len(demoColours))], DeclaredQualityGroup: g.code,
		Classifier: classifier, NetWeightGrams: grams, Contributions: contribs,
		CollectionPoint: "Centro de acopio comunal", LotNumber: fmt.Sprintf("2026-%04d", n+1),
		AskPricePerKg: g.askPerKg + int64(rng.IntN(int(g.askPerKg/10)+1)), ClassificationDate: "2026-11-20",
	}
	if rng.IntN(100) < 7 {
		lot.Breed = "SURI"
	}
	// The true diameter, kept a little inside the band so that a check
	// grades it in the same group.
	mfd := g.minUm + 0.2 + rng.Float64()*(g.maxUm-g.minUm-0.4)
	mfd = float64(int(mfd*10)) / 10
	if lot.Classifier == lenient {
		// Every lot declared a group finer than it is: a SUPER_BABY lot,
		// with no finer group, is declared so and is BABY in truth.
		if gi == 0 {
			g, gi = demoGroups[1], 1
			mfd = g.minUm + 0.2 + float64(int((rng.Float64()*(g.maxUm-g.minUm-0.4))*10))/10
		}
		lot.DeclaredQualityGroup = demoGroups[gi-1].code
		lot.AskPricePerKg = demoGroups[gi-1].askPerKg
	} else if rng.IntN(2) == 0 {
		sd, fibres, staple := 3.5+rng.Float64()*1.5, int64(2000+rng.IntN(2000)), g.stapleMmLo+rng.Float64()*30
		lot.Measurement = &millwav1.FiberSample{MeanFiberDiameterUm: &mfd, SdUm: &sd, FibersMeasured: &fibres, StapleLengthMm: &staple}
	}
	return lot, mfd
}

var (
	demoGiven   = []string{"Rosa", "Juan", "María", "Pedro", "Lucía", "Santos", "Teodora", "Eusebio", "Justina", "Fortunato", "Celestina", "Wilber", "Nilda", "Edwin", "Yolanda", "Hilario"}
	demoFamilie = []string{"Quispe", "Mamani", "Condori", "Huamán", "Ccori", "Choque", "Apaza", "Ticona", "Layme", "Puma", "Huarachi", "Ccallo", "Turpo", "Chambi"}
)

func demoName(rng *rand.Rand) string {
	return demoGiven[rng.IntN(len(demoGiven))] + " " + demoFamilie[rng.IntN(len(demoFamilie))] + " " + demoFamilie[rng.IntN(len(demoFamilie))]
}

// dialAs creates a short-lived key of role for org through the API and
// connects with it, so that each party of the season acts as itself. The
// key expires with the demo's own key, as no key may outlive its creator.
func dialAs(ctx context.Context, conn *grpc.ClientConn, addr string, role millwav1.Role, org string) (*grpc.ClientConn, error) {
	ids := millwav1.NewIdentityServiceClient(conn)
	me, err := ids.WhoAmI(ctx, &millwav1.WhoAmIRequest{})
	if err != nil {
		return nil, err
	}
	expire := me.GetExpireTime()
	if expire == nil {
		expire = timestamppb.New(time.Now().Add(time.Hour))
	}
	resp, err := ids.CreateApiKey(ctx, &millwav1.CreateApiKeyRequest{ApiKey: &millwav1.ApiKey{
		DisplayName: "millwa demo", Role: role, Organisation: org, ExpireTime: expire,
	}})
	if err != nil {
		return nil, err
	}
	return instance.Dial(addr, resp.GetSecret())
}
