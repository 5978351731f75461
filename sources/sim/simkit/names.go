package simkit

// Names for generated people. Some are non-ASCII on purpose: the dashboard
// must measure and cut them by display width, not by bytes.
var firstNames = []string{
	"Ava", "Ben", "Chloé", "Dmitri", "Elena", "Farid", "Grace", "Hiroshi", "Ingrid", "Jamal",
	"Kai", "Lucía", "Mateo", "Nadia", "Oliver", "Priya", "Quinn", "Rafael", "Sofia", "Tomás",
	"Uma", "Viktor", "Wen", "Ximena", "Yusuf", "Zoë", "Amara", "Björn", "Camille", "Diego",
	"Esther", "Felix", "Giulia", "Hana", "Ivan", "Júlia", "Kenji", "Leila", "Marek", "Noor",
	"Olga", "Pedro", "Renée", "Sven", "Thandiwe", "Ugo", "Valentina", "William", "Yara", "Zainab",
	"Łukasz", "Søren", "Ólafur", "Nguyễn", "Åsa", "Ji-woo", "Siobhán", "François", "Mbali", "Aroha",
}

var lastNames = []string{
	"Adams", "Bauer", "Chen", "Dubois", "Eriksen", "Fernández", "García", "Hughes", "Ito", "Jensen",
	"Kowalski", "Lee", "Müller", "Nakamura", "O'Brien", "Petrov", "Quispe", "Rossi", "Silva", "Tanaka",
	"Usman", "Varga", "Wong", "Xu", "Yilmaz", "Zhang", "Abebe", "Brown", "Costa", "Dimitrou",
	"Evans", "Fischer", "Gómez", "Horváth", "Ivanova", "Johansson", "Kim", "López", "Moreau", "Novak",
	"Okafor", "Park", "Reyes", "Schmidt", "Takahashi", "Uddin", "Vargas", "Weber", "Young", "Zieliński",
	"山田", "佐藤", "김", "Ødegård", "Çelik", "Þórsson", "Nowak", "Achterberg", "Mahlangu", "Ngata",
}

// Apps people sign in to, with the CASB application type for each.
var apps = []App{
	{"Salesforce", "SFDC"}, {"Slack", "SLACK"}, {"GitHub", "GITHUB"}, {"Box", "BOX"},
	{"Office 365", "O365"}, {"AWS Console", "AWS"}, {"ServiceNow", "SERVICENOW"}, {"Workday", "HCMCLOUD"},
}

// App is a SaaS application in the simulated tenant.
type App struct {
	Name string
	Type string // Oracle CASB applicationType
}
