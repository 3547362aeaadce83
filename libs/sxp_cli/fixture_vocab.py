"""Vocabulary for the synthetic profile generator (sxp_cli.fixtures): data only, no logic.

Strings are "|"-separated lists to keep the file compact. Templates use {slots} that the
generator fills from POOLS (or from the row: {city}, {org}, {first}, {topic}, {topic2}, {role}).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Persona:
    """One kind of account: what it says about itself and what the platform shows."""

    key: str
    is_org: bool
    roles: tuple[str, ...]
    topics: tuple[str, ...]
    lines: tuple[str, ...]
    tags: tuple[str, ...]
    emoji: tuple[str, ...]
    categories: tuple[str, ...]
    urls: tuple[str, ...]
    names: tuple[str, ...]


def _p(key: str, org: bool, roles: str, topics: str, lines: str, tags: str, emoji: str,
       cats: str, urls: str, names: str = "") -> Persona:
    """Build a Persona from "|"-separated strings."""
    def split(s: str) -> tuple[str, ...]:
        """Non-empty "|"-separated items."""
        return tuple(x for x in s.split("|") if x)
    return Persona(key, org, split(roles), split(topics), split(lines), split(tags),
                   split(emoji), split(cats), split(urls), split(names))


PERSONAS: tuple[Persona, ...] = (
    _p("founder", False, "Founder & CEO|Co-founder|Founder|Serial entrepreneur|Solo founder|CEO",
       "startups|fundraising|product|B2B sales|hiring|bootstrapping|fintech|climate tech",
       "Building {org}|Ex-{bigco}, now building {org}|2x founder, 1 exit|Backed by {vc}"
       "|Scaling {org} to ${n}M ARR|Writing about the messy middle of startups|{vc} alum",
       "#startup|#founder|#buildinpublic|#entrepreneur", "🚀|💡|📈|🛠️",
       "Entrepreneur|Business person|Public figure", "site|substack|linktree"),
    _p("saas", True, "The all-in-one {topic} platform|Software for {topic}|API-first {topic} tool",
       "invoicing|team scheduling|customer support|analytics|payroll|email marketing|security",
       "Trusted by {k} teams|SOC 2 Type II|Start free, no card needed|Now with AI ✨"
       "|Backed by {vc}|Remote-first since {year}|We're hiring engineers",
       "#SaaS|#B2B|#productivity|#startups", "⚡|📊|🔒|✨",
       "Software company|Product/service|Internet company", "site",
       "{org}|{org} HQ|{org} App"),
    _p("agency", True, "Creative agency|Performance marketing agency|Branding studio"
                       "|Social media agency",
       "brand strategy|paid social|TikTok ads|web design|influencer campaigns|SEO|UGC",
       "We help {topic2} brands grow|Clients: {bigco}, {bigco2}|Offices in {city} & {city2}"
       "|Award-winning work since {year}|Book a discovery call below",
       "#marketing|#branding|#agencylife|#digitalmarketing", "🎯|📣|🎨|✏️",
       "Advertising/marketing|Marketing agency|Media/news company", "site|calendly",
       "{org} Creative|{org} Studio|{org} Media|{org} Agency"),
    _p("realtor", False, "Realtor®|Real estate agent|Broker|Luxury real estate advisor"
                         "|Mortgage broker",
       "first-time buyers|luxury homes|relocation|investment properties|condos|open houses",
       "Helping families find home in {city}|{n}+ homes sold|Licensed in {state}"
       "|Top 1% agent at {brokerage}|Your {city} real estate expert|New listings every Friday",
       "#realtor|#realestate|#househunting|#justlisted", "🏡|🔑|🏠|📍",
       "Real estate agent|Real estate|Mortgage brokers", "site|linktree|zillow",
       "{first} {last}|{first} {last}, Realtor|{first} Sells {city}"),
    _p("fitness", False, "Fitness coach|Personal trainer|Online coach|Strength coach"
                         "|Pilates instructor",
       "strength training|fat loss|home workouts|mobility|postpartum fitness|powerlifting|running",
       "Helped {k} clients transform|NASM certified|Coaching spots open|{n}x marathoner"
       "|Workouts + nutrition that fit real life|Former D1 athlete",
       "#fitness|#gym|#workout|#fitnesscoach|#strength", "💪|🏋️|🔥|🏃",
       "Fitness trainer|Coach|Health/beauty", "linktree|stan|site",
       "{first} {last}|Coach {first}|{first} · Fitness|{first} Trains"),
    _p("food", False, "Food creator|Home cook|Recipe developer|Food blogger|Chef|Baker",
       "easy dinners|vegan recipes|baking|meal prep|street food|sourdough|air fryer recipes",
       "Recipes in {n} minutes or less|Cookbook out now 📖|Feeding my family of {n}"
       "|Ex-restaurant chef from {city}|New recipe every {day}|As seen on {outlet}",
       "#foodie|#recipes|#foodtok|#homecooking", "🍝|🥑|🍰|🔥|🍜",
       "Chef|Food & beverage|Digital creator|Personal blog", "site|linktree|substack"),
    _p("travel", False, "Travel creator|Digital nomad|Travel writer|Solo traveler|Van lifer",
       "budget travel|hidden gems|solo female travel|hiking|travel hacks|road trips|Southeast Asia",
       "{n} countries and counting|Currently in {city}|Travel guides below 👇"
       "|Quit my job in {year} to travel|Points & miles nerd",
       "#travel|#wanderlust|#travelgram|#vanlife", "✈️|🌍|🏝️|🗺️|🎒",
       "Travel company|Digital creator|Blogger|Personal blog", "linktree|site|substack"),
    _p("beauty", False, "Makeup artist|Beauty creator|Skincare nerd|Licensed esthetician|Nail tech"
                        "|Hairstylist",
       "skincare|makeup tutorials|drugstore dupes|curly hair|bridal makeup|nail art",
       "MUA based in {city}|Skincare for sensitive skin|Honest reviews only"
       "|Booking brides for {soon}|Owner of {org} Beauty Bar",
       "#makeup|#skincare|#beauty|#mua|#nails", "💄|✨|💅|🌸",
       "Beauty, cosmetic & personal care|Makeup artist|Hair salon|Digital creator", "linktree|shop"
                                                                                    "|site"),
    _p("gaming", False, "Gamer|Twitch streamer|Content creator|Esports player|Game dev|Speedrunner",
       "Valorant|Minecraft|Fortnite|indie games|Pokémon|FPS|retro games|Elden Ring",
       "Live {day}s at {n}pm EST|Partnered with {bigco}|{k} on Twitch|Pro player for {team}",
       "#gaming|#twitch|#gamer|#esports", "🎮|🕹️|👾|🔴",
       "Gamer|Video creator|Gaming video creator", "twitch|youtube|linktree"),
    _p("podcaster", False, "Podcast host|Podcaster|Host of {org} Podcast|Audio producer",
       "true crime|business|mental health|comedy|history|relationships|sports",
       "New episodes every {day}|Top {n} podcast in {country}|{k} downloads"
       "|Listen wherever you get podcasts",
       "#podcast|#podcasting|#podcaster", "🎙️|🎧|📻",
       "Podcast|Media|Personal blog", "spotify|site|linktree"),
    _p("developer", False, "Software engineer|Frontend dev|Staff engineer|Full-stack developer"
                           "|Open source maintainer",
       "Python|Rust|TypeScript|React|Kubernetes|Go|developer tools|web performance",
       "Working on {topic} at {bigco}|Maintainer of {oss}|Tweets about {topic} and coffee"
       "|Writing code since {year}|Opinions are my own",
       "#100DaysOfCode|#python|#javascript|#opensource", "💻|⌨️|🐍|🦀",
       "Software engineer|Science, technology & engineering", "github|site|substack"),
    _p("ai", False, "AI researcher|ML engineer|Research scientist|PhD student in ML"
                    "|Applied scientist",
       "LLMs|reinforcement learning|computer vision|AI safety|NLP|interpretability"
       "|diffusion models",
       "Research at {bigco}|PhD @ {uni}|Prev {bigco2}|Papers at NeurIPS & ICML|Building agents",
       "#AI|#MachineLearning|#LLM|#deeplearning", "🤖|🧠|📄",
       "Scientist|Science, technology & engineering|Education", "site|github|scholar"),
    _p("crypto", False, "Crypto trader|Web3 builder|DeFi degen|Bitcoin maximalist|NFT collector",
       "Bitcoin|Ethereum|DeFi|Solana|on-chain analysis|altcoins|NFTs",
       "Not financial advice|Early {topic} since {year}|Building on {chain}|Trading since {year}"
       "|gm ☀️",
       "#crypto|#bitcoin|#web3|#ethereum", "🚀|📈|💎|⛓️|🌕",
       "Entrepreneur|Digital creator|Finance", "linktree|site"),
    _p("nurse", False, "RN|ICU nurse|Travel nurse|Nurse practitioner|L&D nurse|ER nurse",
       "nursing school|night shift|nurse life|NCLEX tips|travel nursing|self-care",
       "{n} years at the bedside|NCLEX study tips below|Night shift survivor|BSN, RN | {city}",
       "#nurse|#nursing|#nurselife|#nursingschool", "🩺|💉|🏥|💙",
       "Nurse|Health/beauty|Healthcare", "linktree|stan"),
    _p("doctor", False, "Physician|Board-certified dermatologist|Pediatrician|Family doctor|Surgeon"
                        "|Dentist",
       "skin health|kids' health|evidence-based medicine|women's health|myth busting|oral health",
       "Doctor at {org} Clinic|MD, {uni}|Education, not medical advice|Myth-busting health claims",
       "#doctor|#medicine|#healthtips|#dermatology", "🩺|👩‍⚕️|👨‍⚕️|🦷",
       "Doctor|Medical & health|Dentist & dental office", "site",
       "Dr. {first} {last}|Dr {first}|{first} {last}, MD"),
    _p("teacher", False, "Teacher|3rd grade teacher|High school math teacher|ESL teacher"
                         "|Special ed teacher",
       "classroom ideas|teaching resources|literacy|math tricks|classroom management|homeschool",
       "Teaching {n}th grade in {city}|{n} years in the classroom|Resources on TpT"
       "|Teacher by day, reader by night",
       "#teacher|#teachersoftiktok|#education|#iteachtoo", "🍎|📚|✏️|🏫",
       "Teacher|Education|Educational consultant", "tpt|linktree",
       "Mrs. {last}|Mr. {last}|Ms. {first}|{first} {last}"),
    _p("student", False, "Student|Med student|Law student|CS student|Grad student|Pre-med",
       "study tips|college life|productivity|studying abroad|exams|dorm life",
       "{uni} '{yy}|Class of {soon}|Studying {major} at {uni}|Surviving finals week",
       "#studytok|#college|#studentlife|#studygram", "📚|🎓|☕|📝",
       "Student|Personal blog|Education", "linktree"),
    _p("journalist", False, "Journalist|Reporter|Correspondent|Editor|Investigative reporter"
                            "|Columnist",
       "politics|climate|tech|courts|health policy|foreign affairs|business",
       "Reporter at {outlet}|Covering {topic} for {outlet}|Formerly {outlet2}"
       "|Signal for tips, link below"
       "|RTs ≠ endorsements",
       "#journalism|#news", "📰|🗞️|✍️",
       "Journalist|Writer|News personality", "site|substack|muckrack"),
    _p("news", True, "Breaking news and analysis|Independent newsroom|Local news for {city}",
       "politics|local news|business|weather|sports|world news",
       "Covering {city} since {year}|Subscribe for the morning briefing"
       "|Award-winning local journalism"
       "|Send us your story",
       "#news|#breakingnews|#localnews", "📰|🗞️|🔴|📡",
       "News & media website|Media/news company|Newspaper", "site",
       "{city} Daily|The {city} Post|{org} News|{city} Today"),
    _p("artist", False, "Illustrator|Painter|Tattoo artist|Ceramicist|Digital artist|Muralist",
       "watercolor|character design|fine line tattoos|pottery|oil painting|comics|murals",
       "Commissions open|Prints in the shop|Based in {city}|Art is my love language"
       "|Represented by {org} Gallery",
       "#art|#artist|#illustration|#tattoo|#ceramics", "🎨|🖌️|✏️|🏺",
       "Artist|Visual arts|Art", "shop|etsy|site"),
    _p("musician", False, "Singer-songwriter|Producer|DJ|Rapper|Guitarist|Indie band",
       "indie pop|house music|hip hop|jazz|country|lo-fi beats|R&B",
       "New single out now|On tour this {season}|Stream '{song}' everywhere|Signed to {org} Records"
       "|{k} monthly listeners",
       "#music|#newmusic|#singer|#producer", "🎵|🎸|🎧|🎤|🎹",
       "Musician/band|Artist|Musician", "spotify|linktree|bandcamp"),
    _p("athlete", False, "Pro athlete|Olympian|Marathoner|Footballer|Tennis player|Climber",
       "training|race day|recovery|soccer|ultrarunning|bouldering|basketball",
       "{sport} for {team}|Olympian ({year})|{n}x national champion|Sponsored by {bigco}",
       "#athlete|#training|#sports|#runner", "🏅|⚽|🏃‍♀️|🏀|🎾",
       "Athlete|Sports|Public figure", "site|linktree"),
    _p("politician", False, "State Senator|City Council member|Mayor of {city}"
                            "|Congressional candidate|MP",
       "housing|public safety|education|small business|climate|healthcare",
       "Proudly serving District {n}|Fighting for {topic}|Official account"
       "|Paid for by {first} for {state}",
       "#politics|#vote|#community", "🇺🇸|🗳️|🏛️",
       "Politician|Government official|Political candidate", "site",
       "{first} {last}|Mayor {last}|Senator {first} {last}"),
    _p("church", True, "Church in {city}|A church for everyone|Catholic parish|Youth ministry",
       "Sunday services|worship|community|Bible study|youth group",
       "Sundays at 9 & 11am|All are welcome|Join us online or in person|Est. {est}",
       "#church|#faith|#worship|#jesus", "⛪|🙏|✝️|❤️",
       "Religious organization|Church|Community organization", "site",
       "{city} Community Church|Grace Church {city}|St. {saint}'s Parish|{org} Church"),
    _p("nonprofit", True, "Nonprofit|Charity|Foundation|Community organization|Animal rescue",
       "food security|clean water|literacy|animal rescue|mental health|youth sports",
       "501(c)(3) nonprofit|{k} meals served|Donate link below|Volunteer with us in {city}"
       "|Since {est}",
       "#nonprofit|#charity|#givingback|#adoptdontshop", "💚|🤝|🐾|🌱",
       "Nonprofit organization|Charity organization|Community service", "site|gofundme",
       "{org} Foundation|{city} Food Bank|{org} Rescue|Friends of {city}"),
    _p("shop", True, "Family-owned bakery|Coffee roasters|Boutique|Bookshop|Florist|Plant shop"
                     "|Barber",
       "fresh bread|specialty coffee|vintage clothing|books|flowers|houseplants|fades",
       "Open daily 8-6|Shipping nationwide|Est. {est} in {city}|Visit us on {street}"
       "|Small batch, big love",
       "#smallbusiness|#shoplocal|#coffee|#bakery", "🥐|☕|🌷|📚|💈|🛍️",
       "Local business|Shopping & retail|Bakery|Coffee shop", "shop|site|etsy",
       "{org} Bakery|{org} Coffee|{org} Boutique|{org} Books|{org} Flowers|{org} Barbershop"),
    _p("parent", False, "Mom of {n}|Dad of {n}|Girl mom|Boy dad|Twin mom|Stay-at-home mom",
       "motherhood|parenting|family life|toddler activities|homeschool|gentle parenting",
       "Just trying to keep everyone alive|Sharing our everyday chaos|Raising tiny humans in {city}"
       "|Coffee, kids and laundry|Family of {n}",
       "#momlife|#dadlife|#parenting|#momtok", "👶|🧸|☕|❤️",
       "Personal blog|Family|Digital creator", "linktree|amazon"),
    _p("pet", False, "Golden retriever living his best life|Rescue cat with opinions"
                     "|Frenchie with a big personality"
       "|Corgi on tiny legs|Bunny who loves carrots|Senior pup, still zooming",
       "dog life|cat content|adoption|pet care|daily walks",
       "Run by my humans|{k} treats eaten|Adopted {year}|Goodest boy in {city}|Professional napper",
       "#dogsoftiktok|#catsoftiktok|#adoptdontshop|#pets", "🐶|🐱|🐾|🦴",
       "Pet|Animal|Digital creator", "linktree|amazon",
       "{pet} the {breed}|{pet}|{pet} & {pet2}"),
    _p("cars", False, "Car enthusiast|Mechanic|Detailer|Car reviewer|Track day addict"
                      "|JDM collector",
       "restorations|car detailing|EVs|JDM|classic cars|drifting|motorsport",
       "Daily: {car}|Project car: {car}|Wrenching since {year}|Reviews every {day}",
       "#cars|#carsoftiktok|#jdm|#carguy", "🏎️|🔧|🚗|🏁",
       "Automotive|Vehicle|Digital creator", "youtube|shop"),
    _p("garden", False, "Gardener|Plant lady|Urban farmer|Permaculture nerd|Master gardener",
       "vegetable gardening|houseplants|composting|seed starting|native plants|raised beds",
       "Growing food in zone {n}|{n} houseplants and counting|Garden tips every {day}"
       "|From seed to plate",
       "#gardening|#plants|#growyourown|#planttok", "🌱|🌿|🍅|🌻",
       "Gardener|Home & garden|Personal blog", "linktree|shop|youtube"),
    _p("author", False, "Author|Novelist|Writer|Poet|Children's book author|Screenwriter",
       "thrillers|romance|fantasy|memoir|poetry|writing tips",
       "Author of '{book}'|Debut novel out {season} {soon}|Represented by {org} Literary"
       "|Writing my {n}th book",
       "#booktok|#writing|#amwriting|#author", "📚|✍️|📖",
       "Author|Writer|Book", "site|amazon|substack"),
    _p("photographer", False, "Photographer|Wedding photographer|Filmmaker|Videographer"
                              "|Portrait photographer",
       "weddings|portraits|street photography|landscapes|film photography",
       "Booking {soon} weddings|Based in {city}, travel worldwide|Shot on {camera}",
       "#photography|#weddingphotographer|#filmphotography", "📸|🎞️|🎥",
       "Photographer|Videographer|Artist", "site|linktree"),
    _p("finance", False, "Financial advisor|CFP®|Personal finance creator|Investor|Accountant",
       "budgeting|investing|debt payoff|FIRE|taxes|index funds|real estate investing",
       "Paid off ${k} in debt|Not financial advice|Helping millennials build wealth"
       "|Ex-{bigco} analyst",
       "#personalfinance|#investing|#money|#budgeting", "💰|📊|💵|📈",
       "Financial service|Finance|Entrepreneur", "site|substack|stan"),
    _p("yoga", False, "Yoga teacher|Meditation guide|Breathwork coach|Wellness coach|Therapist",
       "yoga|mindfulness|anxiety|meditation|breathwork|self-care",
       "RYT-500|Classes online + in {city}|Licensed therapist (LMFT)|Slow living, deep breaths",
       "#yoga|#mentalhealth|#mindfulness|#wellness", "🧘|🌿|🕊️|☀️",
       "Health/beauty|Yoga studio|Mental health service", "site|linktree"),
    _p("comedy", False, "Comedian|Comedy writer|Actor|Improv performer|Sketch comedian",
       "stand-up|sketches|impressions|skits|improv",
       "On tour — tickets below|Netflix special out now|Writer on {show}|Touring {season} {soon}",
       "#comedy|#standup|#funny", "😂|🎤|🎭",
       "Comedian|Actor|Entertainer", "site|linktree"),
    _p("fashion", False, "Fashion creator|Stylist|Designer|Model|Thrifter",
       "outfit ideas|thrifting|streetwear|sustainable fashion|capsule wardrobe",
       "Signed with {org} Models|Shop my closet|Styling {city} since {year}|Thrift flips weekly",
       "#fashion|#ootd|#style|#thrift", "👗|👟|🛍️|🧵",
       "Fashion model|Clothing (brand)|Digital creator", "shop|linktree|ltk"),
)

VAGUE_BIOS: tuple[str, ...] = tuple(
    "just vibes ✨|living my best life 🌸|☕ + 📚 + 🌧️|here for the memes|no bio yet|🫶|bad at bios"
    "|she/her|lurker mostly|be kind 🌈|chasing sunsets 🌅|main character energy|✨ 🌙 ✨"
    "|probably outside|idk what to put here|just a girl|living, laughing, loving|stay golden 💛"
    "|eat sleep repeat|🎧🌊|he/him|⭐️|making it up as I go|just here to watch".split("|")
)

POOLS: dict[str, tuple[str, ...]] = {k: tuple(v.split("|")) for k, v in {
    "bigco": "Google|Stripe|Meta|Shopify|Amazon|Spotify|Airbnb|Microsoft|Nike|Netflix|Uber|Canva"
             "|Notion",
    "vc": "Y Combinator|a16z|Sequoia|Techstars|Accel|Index Ventures|First Round|angels",
    "uni": "Stanford|MIT|UCLA|NYU|Oxford|UT Austin|Michigan|Toronto|Georgia Tech|ETH Zürich"
           "|IIT Delhi",
    "outlet": "Reuters|The Atlantic|NPR|Bloomberg|BBC|The Verge|Axios|Vox|The Guardian|local TV",
    "state": "Texas|California|Florida|New York|Georgia|Ohio|Arizona|Colorado|Ontario|Washington",
    "brokerage": "Compass|Keller Williams|RE/MAX|Coldwell Banker|eXp Realty|Sotheby's",
    "team": "FaZe|Team Liquid|Sentinels|100 Thieves|Cloud9|Manchester City|LA Galaxy|Team GB"
            "|Team USA",
    "country": "the US|the UK|Canada|Australia|Ireland|South Africa|India|Nigeria",
    "day": "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday",
    "season": "spring|summer|fall|winter",
    "chain": "Ethereum|Solana|Base|Arbitrum|Bitcoin L2s",
    "oss": "fastapi-utils|tinyhttp|a Rust CLI|an ORM|htmx plugins|a VS Code theme"
           "|polars extensions",
    "major": "biology|computer science|nursing|economics|psychology|film|architecture",
    "song": "Midnight Drive|Paper Hearts|Golden Hour|Neon Rain|Slow Burn|Homesick|Overthinking",
    "sport": "Midfielder|Point guard|Goalkeeper|Sprinter|Winger|Pitcher|Striker",
    "saint": "Mary|Joseph|Anne|Patrick|Michael|Francis|Jude",
    "street": "Main St|Elm Street|the High Street|5th Ave|Market Square|Harbor Road",
    "pet": "Milo|Luna|Biscuit|Mochi|Bear|Pepper|Olive|Waffles|Nala|Tofu|Ziggy|Maple",
    "breed": "Golden|Corgi|Frenchie|Beagle|Tabby|Husky|Doodle|Pug",
    "car": "'98 Civic EK|E30 325i|NA Miata|Model 3|Tacoma TRD|'69 Mustang|GR86|WRX STI|Supra MK4",
    "book": "The Quiet Tide|Salt & Ember|Small Mercies|The Lantern House|Wild Little Things",
    "camera": "Fuji X100V|Canon R5|Sony A7IV|Leica M6|Portra 400",
    "show": "a late-night show|a Netflix sitcom|SNL (2019-22)|a podcast you love",
    "org_a": "Nova|Kite|Loop|Bright|Orbit|Pine|Atlas|Maple|Cedar|Lumen|Harbor|Ember|Quill|Tidal"
             "|Vela|Onyx|Sage|Juniper|Copper|Meadow|Fable|North|Willow|Summit|Bloom|Halo|Rivet"
             "|Aurora",
    "org_b": "Labs|ly|Stack|Works|Pay|Cloud|Base|Flow|Hub|Grid|Path|Loop|Desk|Beam|Box|Sense|Mint",
}.items()}

CTAS: tuple[str, ...] = tuple(
    "👇 free guide below|links below 👇|new video every {day}|DM for collabs|Shop the drop ⬇️"
    "|latest episode ⬇️|all my links 👇|waitlist below|tap the link for more|book a session below"
    "|collabs & PR: DM|subscribe to my newsletter|merch out now".split("|")
)
SEPARATORS: tuple[str, ...] = (" | ", "\n", " • ", " ✦ ", ". ", " · ", "\n", " | ", " ~ ")

EN_FIRST = ("Emma|Olivia|Ava|Sophia|Mia|Liam|Noah|James|Lucas|Ethan|Maya|Aisha|Priya|Zara|Chloe"
            "|Jordan|Taylor|Marcus|Andre|Jamal|Kenji|Grace|Hannah|Ben|Sam|Alex|Nia|Tyler|Caleb|Leah"
            "|Ruby|Ollie|Freya|Connor|Siobhan|Kwame|Chidi|Thandiwe|Darius|Layla|Omar|Nadia|Mateo"
            "|Isla|Harper|Elijah|Wei|Anh|Minh|Joon|Hiro|Arjun|Ravi|Meera|Tomás|Sofia").split("|")
EN_LAST = ("Smith|Johnson|Brown|Garcia|Martinez|Lee|Walker|Patel|Nguyen|Kim|Okafor|Adeyemi|O'Brien"
           "|Murphy|Wright|Campbell|Khan|Singh|Chen|Wang|Rossi|Cohen|Clarke|Hughes|Evans|Baker"
           "|Mensah|Dlamini|Reyes|Santos|Carter|Brooks|Price|Bennett|Ward|Foster|Hayes|Reid"
           "|Tanaka").split("|")
EN_CITIES = ("Austin, TX|Brooklyn, NY|Los Angeles|Chicago|Miami, FL|Seattle|Denver, CO|Nashville"
             "|Atlanta"
             "|London|Manchester|Dublin|Toronto|Vancouver|Sydney|Melbourne|Lagos|Nairobi|Cape Town"
             "|Johannesburg|Mumbai|Bengaluru|Singapore|Manila|Dubai|San Francisco|Boston"
             "|Portland, OR"
             "|Phoenix|Bristol|Edinburgh|Auckland|Accra|📍 NYC|Houston, TX|Glasgow"
             "|Brisbane").split("|")
# English-speaking city → phone country used for its contact numbers.
CITY_REGION: dict[str, str] = {
    "London": "GB", "Manchester": "GB", "Bristol": "GB", "Edinburgh": "GB", "Glasgow": "GB",
    "Dublin": "GB", "Toronto": "CA", "Vancouver": "CA", "Sydney": "AU", "Melbourne": "AU",
    "Brisbane": "AU", "Auckland": "AU", "Lagos": "NG", "Accra": "NG", "Nairobi": "ZA",
    "Cape Town": "ZA", "Johannesburg": "ZA", "Mumbai": "IN", "Bengaluru": "IN",
    "Singapore": "PH", "Manila": "PH", "Dubai": "AE",
}
HANDLE_WORDS: dict[str, str] = dict(x.split("=") for x in (
    "founder=builds|saas=app|agency=creative|realtor=homes|fitness=fit|food=eats|travel=travels"
    "|beauty=beauty|gaming=gg|podcaster=pod|developer=dev|ai=ml|crypto=crypto|nurse=rn|doctor=md"
    "|teacher=teaches|student=studies|journalist=news|news=news|artist=art|musician=music"
    "|athlete=runs"
    "|politician=forcouncil|church=church|nonprofit=cares|shop=shop|parent=mama|pet=thepup"
    "|cars=garage|garden=grows|author=writes|photographer=photo|finance=money|yoga=yoga"
    "|comedy=comedy|fashion=style").split("|"))
