/* What the demo reviews are about and how their sentences go: subjects (products,
 * restaurants, hotels, films, books, apps, video and board games, places, journeys), the
 * aspects a review of each may talk about, openings, neutral filler sentences, and the
 * sentence templates with sentiment slots. All text is original to this project.
 * demo_topics.h describes the template syntax; data/README.md the whole scheme. */
#include "data/demo_topics.h"

#include <stddef.h>

#define COUNT(array) ((int)(sizeof array / sizeof array[0]))

/* ================================================================ word slots */

const demo_word_slot demo_word_slots[] = {
    {"city_any",
     "Lisbon|Porto|Madrid|Seville|Valencia|Granada|Bilbao|Lyon|Marseille|Bordeaux|Toulouse|Paris|Berlin|"
     "Hamburg|Munich|Leipzig|Cologne|Vienna|Salzburg|Prague|Krakow|Budapest|Rome|Naples|Florence|Milan|"
     "Turin|Bologna|Palermo|Athens|Thessaloniki|Dublin|Galway|Cork|Edinburgh|Glasgow|Manchester|Leeds|"
     "Bristol|York|London|Cardiff|Amsterdam|Utrecht|Rotterdam|Antwerp|Ghent|Brussels|Copenhagen|Aarhus|"
     "Stockholm|Gothenburg|Oslo|Bergen|Helsinki|Tallinn|Riga|Vilnius|Zagreb|Ljubljana|Istanbul|Tokyo|"
     "Osaka|Kyoto|Sapporo|Seoul|Busan|Taipei|Hanoi|Bangkok|Chiang Mai|Singapore|Sydney|Melbourne|"
     "Brisbane|Auckland|Wellington|Vancouver|Toronto|Montreal|Chicago|Boston|Denver|Austin|Seattle|"
     "Portland|Nashville|Philadelphia|Mexico City|Oaxaca|Lima|Cusco|Santiago|Buenos Aires|Montevideo|"
     "Cape Town|Nairobi|Marrakech|Tbilisi|Reykjavik"},
    {"first",
     "Ana|Rosa|Marco|Lena|Tomas|Priya|Kenji|Amara|Elena|Jonas|Noor|Felix|Ines|Omar|Mei|Hugo|Clara|Dev|"
     "Sofia|Anders|Maya|Theo|Yara|Luca|Nadia|Ravi|Greta|Sami|Iris|Leo|Hana|Mateo|Zoe|Aditya|Freya|Karim|"
     "Lucia|Oskar|Tara|Emil|Bea|Rafael|June|Arjun|Nina|Pablo|Ada|Milo|Esme|Kofi|Vera|Soren|Lila|Idris|"
     "Marta|Kai|Olga|Ruben|Signe|Tariq|Wren|Agnes|Bruno|Celine|Dario|Edith|Farah|Gus|Helga|Ivo"},
    {"last",
     "Reyes|Okafor|Lindqvist|Moreau|Castellano|Nakamura|Brennan|Haddad|Kowalski|Ortiz|Whitcombe|Sorensen|"
     "Delacroix|Ferreira|Abernathy|Takahashi|Novak|Quinlan|Rossi|Ashdown|Varga|Holloway|Esposito|Mendel|"
     "Park|Calloway|Dunmore|Ivanova|Lorne|Achterberg|Baptiste|Carvalho|Dempsey|Engstrom|Fontaine|Garroway|"
     "Hartley|Iwasaki|Jaramillo|Kessler|Lachance|Marlowe|Nwosu|Oyelaran|Petrakis|Quartermaine|Rasmussen|"
     "Salgado|Thorne|Umberto|Vasquez|Wakefield|Yilmaz|Zielinski|Achebe-Hart|Blackwood|Cavendish|Ellery"},
    {"brand_start",
     "Lum|Vex|Nor|Kal|Zen|Ori|Tal|Bri|Cor|Mav|Quin|Sol|Ter|Vol|Ar|El|Fen|Gal|Hal|Jun|Kir|Lox|Mer|Nex|"
     "Pol|Ryn|Sav|Tor|Ul|Wex|Yar|Zor|Dax|Ferr|Hex|Ilo|Jax|Kov|Lyr|Mox|Nov|Oct|Pyx|Rho|Syl|Tav|Vant|Wyl"},
    {"brand_end", "en|ix|ora|ant|o|ex|ia|on|um|ara|ette|is|ar|ova|ik|el|eon|ari|us|yn"},
    {"brand", "{brand_start}{brand_end}"},
    {"model",
     "X{digit}|S{digit}|Q{digit}|V{digit}|Z{digit}|M{digit}|R{digit}|T{digit}|K{digit}|Pro {digit}|Air|"
     "Mini|Max|One|Lite|Plus|Neo|Flex|Core|{digit}00|{digit}0|Studio|Nova|Arc|Halo|Pulse|Terra|"
     "Aero {digit}|Vista|Orbit|Echo {digit}|Sprint|Duo|Trio|Edge {digit}"},
    {"digit", "2|3|4|5|6|7|8|9"},
    {"word",
     "Copper|Olive|Saffron|Juniper|Lantern|Harbor|Willow|Cedar|Marble|Fig|Ember|Salt|Pepper|Orchard|"
     "Anchor|Thistle|Bramble|Magpie|Heron|Linden|Laurel|Sparrow|Barley|Clover|Quince|Hazel|Indigo|Velvet|"
     "Oak|Birch|Rosemary|Sage|Basil|Lemon|Coral|Amber|Ivy|Maple|Elm|Kestrel|Otter|Fox|Wren|Raven|Falcon|"
     "Meridian|Beacon|Alder|Crescent|Summit|Granite|Tamarind|Cardamom|Larch|Rowan|Hawthorn|Bluebell|"
     "Driftwood|Lighthouse|Foxglove|Nutmeg|Mulberry|Pinecone|Silverbirch|Stonegate|Millstone|Tideway"},
    {"word2",
     "Pot|Spoon|Table|Kitchen|Fork|Door|Garden|Room|House|Barrel|Oven|Pantry|Bowl|Plate|Tree|Yard|Hearth|"
     "Cellar|Counter|Ladle|Jar|Stove|Grill|Press|Mill"},
    {"rname",
     "{first}'s {Kitchen|Table|Place|Corner|Canteen}|the {word} {word2}|{Casa|Trattoria|Osteria|Chez|Cafe|"
     "Taverna|Bistro|Maison} {word}|{word} & {word}|the {word} Room|{last}'s|{word} {Street|Lane|Yard} "
     "{Kitchen|Eatery|Canteen}"},
    {"title_adj",
     "Hidden|Northern|Crimson|Distant|Frozen|Paper|Iron|Hollow|Velvet|Glass|Salt|Last|Long|Forgotten|"
     "Secret|Winter|Midnight|Golden|Lost|Scarlet|Silver|Restless|Wandering|Seventh|Electric|Copper|Amber|"
     "Stone|Wild|Empty|Silent|Burning|Sleeping|Drowned|Painted|Borrowed|Tender-Hearted|Vanishing|Eastern"},
    {"title_noun",
     "Harbor|Garden|Mile|Signal|Orchard|Kingdom|Tide|Letter|Station|Frontier|Lighthouse|Archive|Crossing|"
     "Compass|Island|Echo|Horizon|Circus|River|Winter|Summer|Lantern|Bridge|Mirror|Forest|Shore|Engine|"
     "Ember|Atlas|Voyage|Hour|Season|Map|Clockmaker|Cartographer|Ferryman|Beekeeper|Weaver|Tenant|"
     "Orchestra|Glasshouse|Observatory|Quarry|Caravan|Greenhouse|Saltmarsh|Comet|Aviary|Heirloom"},
    {"title_place",
     "Veloria|Castmoor|Brenna|Tamsin Bay|Oldhaven|Marrow Hill|Elsinby|Kestrel Point|Larkspur|Dunmere|"
     "Ashgrove|Port Avel|Sarnen|Wyndham Cross|Calder Fell|Halloway Sound|Istra|Moravel|Penhallow|Quillon"},
    {"title",
     "The {title_adj} {title_noun}|The {title_noun} of {title_place}|{title_adj} {title_noun}|"
     "The {title_noun} and the {title_noun}|Return to {title_place}|Letters from {title_place}|"
     "The Last {title_noun}|After the {title_noun}|Beneath the {title_adj} {title_noun}|{title_place}|"
     "A {title_noun} in {month}|The {title_place} {title_noun}|{title_noun}s of {title_place}|"
     "The {title_noun}'s {Daughter|Son|Apprentice|Promise|Secret|Journey}|{title_adj} {Water|Ground|Light|Ashes}"},
    {"game_title",
     "{title_noun} {Tactics|Legends|Quest|Rush|Tycoon|Valley|Frontier|Odyssey|Arena|Saga|Run|Drift|Keeper|"
     "Builders|Chronicles|Rally|Siege|Colony}|{title_place} {Tactics|Legends|Quest|Chronicles|Story}|"
     "{title_adj} {title_noun}|Project {title_noun}|{title_noun} {digit}"},
    {"board_title",
     "{title_noun}s of {title_place}|{title_place}|The {title_adj} {title_noun}|{title_noun} & {title_noun}|"
     "{title_noun} Market|{title_noun} Builders|Tides of {title_place}|{title_noun} Express"},
    {"app_name",
     "{Note|Task|Pocket|Daily|Habit|Snap|Cloud|Pixel|Fit|Zen|Mint|Nest|Loop|Wave|Echo|Orbit|Pulse|Sprout|"
     "Quill|Tally|Budget|Chef|Sleep|Lingo|Focus|Plan|Track|Stride|Frame|Tune|Memo|Coin|Trail|Slate}"
     "{ly|ify|io|hub|box|pad|flow|kit|base|mate|stack|board|list|sy|r|er}"},
    {"company", "{brand}"},
    {"color", "black|white|gray|navy|green|red|silver|blue|sand|charcoal|olive|burgundy|teal|cream"},
    {"when",
     "last week|last weekend|last month|a few days ago|two weeks ago|in {month}|over the holidays|"
     "yesterday|on {day}|this summer|back in {month}|a couple of weeks ago|earlier this year|last spring|"
     "last autumn|in the winter"},
    {"month", "January|February|March|April|May|June|July|August|September|October|November|December"},
    {"day", "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"},
    {"dur",
     "a week|two weeks|a month|three months|six months|a year|two years|a few days|about ten days|"
     "almost a year|eight months|a couple of months|four weeks"},
    {"rel",
     "sister|brother|partner|wife|husband|mother|dad|mum|father|roommate|daughter|son|cousin|aunt|uncle|"
     "friend|neighbor|boss|grandmother|flatmate"},
    {"occasion",
     "my birthday|our anniversary|a friend's birthday|a work dinner|a family lunch|a date night|"
     "my mother's birthday|a farewell dinner|a reunion|a team lunch|my sister's graduation"},
    {"near",
     "near the station|in the old town|by the harbor|on the main square|just off the high street|"
     "near the river|close to the cathedral|in a side street|by the market|near the university|"
     "on the waterfront|at the top of the hill"},
    {"num", "two|three|four|five|six"},
    {"hours", "ten|twenty|thirty|forty|fifty|sixty|eighty|a hundred"},
    {"price",
     "${digit}9|${digit}{digit}|${digit}9.99|{digit}{digit} euros|{digit}0 euros|\xC2\xA3{digit}{digit}|"
     "about ${digit}0|around {digit}{digit} euros|${digit}{digit}9"},
    {"ordinal", "second|third|fourth|fifth"},
    {"platform_any", "PC|PlayStation|Xbox|Switch|my phone|Steam Deck|my laptop|my tablet"},
    {"year_any",
     "1998|2003|2008|2011|2014|2016|2017|2018|2019|2020|2021|2022|2023|2024|2025"},
};
const int demo_word_slot_count = COUNT(demo_word_slots);

/* ================================================================ products */

#define PRODUCT_TYPES_ELECTRONICS \
    {"headphones", "headphones", true, \
     "sound:L,bass:L,noise cancelling:F,battery life:FB,ear cushions*:C,fit:C,microphone:L,app:U,carrying case:B,headband:C", NULL, ""}, \
    {"earbuds", "earbuds", true, \
     "sound:L,fit:C,battery life:FB,charging case:B,touch controls*:UR,microphone:L,connection:F,ear tips*:C", NULL, ""}, \
    {"speaker", NULL, false, "sound:L,bass:L,battery life:FB,volume:L,app:U,buttons*:U,pairing:U,strap:B", NULL, ""}, \
    {"phone", NULL, false, \
     "screen:I,camera:I,battery life:FB,speakers*:L,performance:PR,software:UR,charging:P,fingerprint reader:F,night mode:I", NULL, ""}, \
    {"tablet", NULL, false, "screen:I,battery life:FB,speakers*:L,performance:PR,stylus:U,software:UR,keyboard cover:B,weight:C", NULL, ""}, \
    {"laptop", NULL, false, \
     "keyboard:CU,trackpad:UR,screen:I,battery life:FB,fan:Q,performance:PR,speakers*:L,webcam:V,hinge:B,ports*:U", NULL, ""}, \
    {"smartwatch", NULL, false, "screen:I,battery life:FB,heart rate sensor:F,strap:C,app:U,notifications*:U,GPS:F", NULL, ""}, \
    {"fitness tracker", NULL, false, "step counter:F,sleep tracking:F,battery life:FB,band:C,app:U,display:I", NULL, ""}, \
    {"e-reader", NULL, false, "screen:I,battery life:FB,page turns*:R,front light:I,store:U,buttons*:U", NULL, ""}, \
    {"camera", NULL, false, \
     "autofocus:P,image quality:I,viewfinder:I,menus*:U,grip:C,battery:F,lens:I,video mode:I,weather sealing:B", NULL, ""}, \
    {"monitor", NULL, false, "panel:I,colors*:I,stand:B,menus*:U,refresh rate:R,brightness:I,ports*:U", NULL, ""}, \
    {"keyboard", NULL, false, "keys*:C,switches*:F,backlight:V,software:UR,keycaps*:B,wrist rest:C", NULL, ""}, \
    {"gaming mouse", NULL, false, "sensor:F,buttons*:U,grip:C,scroll wheel:F,software:UR,cable:B", NULL, ""}, \
    {"router", NULL, false, "range:F,signal:F,setup:U,app:U,speeds*:P,antennas*:B", NULL, ""}, \
    {"TV", "TVs", false, "picture:I,colors*:I,remote:U,smart features*:U,sound:L,menus*:U,stand:B", NULL, ""}, \
    {"projector", NULL, false, "picture:I,brightness:I,fan:Q,setup:U,remote:U,speaker:L", NULL, ""}, \
    {"webcam", NULL, false, "picture:I,microphone:L,clip:B,autofocus:P,low light performance:I", NULL, ""}, \
    {"power bank", NULL, false, "capacity:F,charging speed:P,cable:B,casing:B,indicator lights*:UI", NULL, ""}, \
    {"electric toothbrush", NULL, false, "battery:F,brush heads*:C,timer:U,charger:B,cleaning modes*:F", NULL, ""}, \
    {"robot vacuum", NULL, false, "suction:F,navigation:F,app:U,dustbin:U,motor:Q,brushes*:B,docking station:F", NULL, ""}, \
    {"drone", NULL, false, "camera:I,flight time:F,controller:U,app:U,stability:F,propellers*:B", NULL, ""}

#define PRODUCT_TYPES_HOME \
    {"blender", NULL, false, "motor:FQ,blades*:F,jar:B,lid:B,controls*:UR,cleanup:U,smoothies*:T", NULL, ""}, \
    {"kettle", NULL, false, "boil time:P,handle:C,lid:B,spout:F,temperature settings*:U,base:B", NULL, ""}, \
    {"toaster", NULL, false, "browning:F,slots*:U,crumb tray:U,controls*:UR,casing:B", NULL, ""}, \
    {"coffee maker", NULL, false, "coffee:T,carafe:B,timer:U,brew time:P,water tank:U,hot plate:F", NULL, ""}, \
    {"espresso machine", NULL, false, "espresso:T,milk frother:F,steam wand:F,grinder:FQ,drip tray:U,pressure gauge:F", NULL, ""}, \
    {"air fryer", NULL, false, "basket:U,results*:T,timer:U,fan:Q,presets*:U,chips*:T", NULL, ""}, \
    {"rice cooker", NULL, false, "rice:T,inner pot:B,timer:U,keep-warm setting:F,steamer basket:B", NULL, ""}, \
    {"stand mixer", NULL, false, "motor:FQ,bowl:B,attachments*:F,speed settings*:U,dough hook:F", NULL, ""}, \
    {"microwave", NULL, false, "turntable:F,controls*:UR,door:B,defrost setting:F,interior light:I", NULL, ""}, \
    {"vacuum cleaner", NULL, false, "suction:F,attachments*:F,battery:F,cord:B,filter:U,motor:Q,dust container:U", NULL, ""}, \
    {"desk fan", NULL, false, "airflow:F,motor:Q,oscillation:F,remote:U,stand:B", NULL, ""}, \
    {"space heater", NULL, false, "heat output:F,thermostat:F,fan:Q,timer:U,casing:B", NULL, ""}, \
    {"desk lamp", NULL, false, "light:I,arm:B,dimmer:U,base:B,color temperature:V", NULL, ""}, \
    {"mattress", NULL, false, "foam:C,edges*:B,cover:C,support:C,firmness:C", NULL, ""}, \
    {"office chair", NULL, false, "seat:C,armrests*:C,backrest:C,wheels*:B,assembly:U,headrest:C,lumbar pad:C", NULL, ""}, \
    {"standing desk", NULL, false, "motor:FQ,desktop:B,frame:B,controls*:UR,assembly:U,cable tray:U", NULL, ""}, \
    {"frying pan", NULL, false, "nonstick coating:F,handle:C,heat distribution:F,base:B,lid:B", NULL, ""}, \
    {"chef's knife", "chef's knives", false, "blade:F,handle:C,edge:F,balance:C,sheath:B", NULL, ""}, \
    {"backpack", NULL, false, "straps*:C,zippers*:B,pockets*:U,fabric:B,laptop sleeve:U,back panel:C", NULL, ""}, \
    {"suitcase", NULL, false, "wheels*:B,handle:B,shell:B,zippers*:B,lining:B,lock:F", NULL, ""}, \
    {"running shoes", "running shoes", true, "cushioning:C,fit:C,grip:F,laces*:B,sole:B,upper:C", NULL, ""}, \
    {"hiking boots", "hiking boots", true, "fit:C,grip:F,waterproofing:F,laces*:B,sole:B,ankle support:C", NULL, ""}, \
    {"rain jacket", NULL, false, "hood:C,zipper:B,fabric:B,fit:C,pockets*:U,waterproofing:F", NULL, ""}, \
    {"water bottle", NULL, false, "lid:F,insulation:F,seal:F,straw:U,finish:B", NULL, ""}, \
    {"yoga mat", NULL, false, "grip:F,thickness:C,surface:C,strap:B,smell:K", NULL, ""}, \
    {"tent", NULL, false, "poles*:B,setup:U,zippers*:B,rain fly:F,floor:B,pegs*:B", NULL, ""}, \
    {"bicycle", NULL, false, "gears*:F,brakes*:F,saddle:C,frame:B,tires*:B,handlebars*:C", NULL, ""}, \
    {"electric scooter", NULL, false, "battery:F,brakes*:F,ride:C,app:U,folding mechanism:B,lights*:F", NULL, ""}, \
    {"sunglasses", "sunglasses", true, "lenses*:V,frames*:B,fit:C,case:B,hinges*:B", NULL, ""}, \
    {"face cream", NULL, false, "texture:C,scent:V,packaging:B,results*:F,jar:B", NULL, ""}, \
    {"board game table", NULL, false, "surface:B,legs*:B,finish:B,assembly:U,storage:U", NULL, ""}, \
    {"guitar", NULL, false, "tone:L,neck:C,tuning pegs*:F,action:C,finish:B,strings*:L", NULL, ""}

static const demo_type product_types[] = {PRODUCT_TYPES_ELECTRONICS, PRODUCT_TYPES_HOME};

static const char *const product_headers[] = {
    "Review of the {name} {type}:", "My review of the {name} {type}:", "The {name} {type}, {dur} in:",
    "Thoughts on the {name} {type}:", "A short review of the {name} {type}:", "{Name} {type} review", NULL};
static const char *const product_and_openings[] = {
    "I bought the {name} {type} {when} and",
    "I have been using the {name} {type} for {dur} and",
    "My {rel} got me the {name} {type} for my birthday and",
    "I ordered the {name} {type} {when}, and",
    "I picked up the {name} {type} on sale and",
    "After {dur} with the {name} {type}, I can say that",
    "I replaced my old {type} with the {name} {when} and",
    "We bought the {name} {type} for our new flat and",
    NULL};
static const char *const product_sentence_openings[] = {
    "I bought the {name} {type} {when}.",
    "I have had the {name} {type} for {dur} now.",
    "The {name} {type} arrived {when}.",
    "I ordered the {name} {type} online {when}.",
    "I was looking for {a_}new {type} and went with the {name}.",
    "{This} {pcop} my {ordinal} {type}, and the first from this brand.",
    "I use the {name} {type} {every day|most days|at home|at work|on weekends}.",
    "My {rel} gave me the {name} {type} {when}.",
    NULL};
static const char *const product_contexts[] = {
    "I bought {them} to replace my old {type}.", "I use {them} {every day|most days|at work|at home|on weekends}.",
    "{It} came in a plain cardboard box.", "I paid {price} for {them}.", "I ordered the {color} version.",
    "Delivery took {num} days.", "I have had {them} for {dur} now.", "My {rel} has the same one.",
    "I got {them} on sale for {price}.", "{It} {pcop} available in {num} colors.",
    "I mostly use {them} {at home|for work|when traveling|in the evenings}.",
    "I compared a few models before buying.", "The box includes a cable and a short manual.",
    "I have owned {them} since {month}.", "For context, I used {a_}{brand} {type} before.",
    "I bought {them} after reading a few reviews.", "{It} replaced {a_}{type} I had for {num} years.", NULL};

/* ================================================================ restaurants */

static const demo_type restaurant_types[] = {
    {"Italian restaurant", NULL, false, "carbonara:T,lasagna:T,margherita pizza:T,risotto:T,tiramisu:T,gnocchi*:T,bruschetta:T", NULL, ""},
    {"pizzeria", NULL, false, "margherita:T,pepperoni pizza:T,crust:T,garlic bread:T,calzone:T,dough:T", NULL, ""},
    {"ramen bar", NULL, false, "tonkotsu ramen:T,broth:T,noodles*:T,gyoza*:T,pork belly:T,miso ramen:T", NULL, ""},
    {"sushi bar", NULL, false, "salmon nigiri:T,rolls*:T,sashimi:T,miso soup:T,tempura:T,rice:T", NULL, ""},
    {"Thai restaurant", NULL, false, "green curry:T,pad thai:T,tom yum soup:T,spring rolls*:T,mango rice:T,larb:T", NULL, ""},
    {"Indian restaurant", NULL, false, "lamb curry:T,butter chicken:T,naan:T,dal:T,samosas*:T,biryani:T,chai:T", NULL, ""},
    {"taqueria", "taquerias", false, "fish tacos*:T,carnitas*:T,guacamole:T,salsa:T,burrito:T,churros*:T", NULL, ""},
    {"steakhouse", NULL, false, "ribeye:T,steak:T@cooked,fries*:T,creamed spinach:T,mashed potatoes*:T,peppercorn sauce:T", NULL, ""},
    {"burger joint", NULL, false, "burger:T,fries*:T,milkshake:T,onion rings*:T,bun:T,veggie burger:T", NULL, ""},
    {"French bistro", NULL, false, "onion soup:T,steak frites:T,duck confit:T,creme brulee:T,bread:T,escargots*:T", NULL, ""},
    {"Greek taverna", NULL, false, "moussaka:T,souvlaki:T,grilled octopus:T,tzatziki:T,baklava:T,feta salad:T", NULL, ""},
    {"tapas bar", NULL, false, "patatas bravas*:T,croquetas*:T,tortilla:T,paella:T,grilled prawns*:T,sangria:T", NULL, ""},
    {"Vietnamese restaurant", NULL, false, "pho:T,banh mi:T,summer rolls*:T,bun cha:T,iced coffee:T", NULL, ""},
    {"Chinese restaurant", NULL, false, "dumplings*:T,mapo tofu:T,roast duck:T,fried rice:T,hot and sour soup:T,kung pao chicken:T", NULL, ""},
    {"Korean barbecue", NULL, false, "bulgogi:T,kimchi:T,pork belly:T,bibimbap:T,side dishes*:T,grill:F", NULL, ""},
    {"bakery", "bakeries", false, "croissants*:T,sourdough:T,cinnamon rolls*:T,almond tart:T,coffee:T", NULL, ""},
    {"cafe", NULL, false, "flat white:T,avocado toast:T,scones*:T,carrot cake:T,pastries*:T,coffee:T", NULL, ""},
    {"brunch spot", NULL, false, "pancakes*:T,eggs benedict:T,french toast:T,hash browns*:T,smoothie:T", NULL, ""},
    {"seafood restaurant", NULL, false, "grilled sea bass:T@cooked,oysters*:T,fish and chips*:T,clam chowder:T,lobster roll:T,mussels*:T", NULL, ""},
    {"vegan cafe", NULL, false, "lentil stew:T,grain bowl:T,cashew cheesecake:T,falafel wrap:T,smoothie bowl:T", NULL, ""},
    {"Lebanese restaurant", NULL, false, "hummus:T,falafel:T,shawarma:T,tabbouleh:T,baklava:T,flatbread:T", NULL, ""},
    {"pub", NULL, false, "fish and chips*:T,pie:T,Sunday roast:T,beer selection:T,chips*:T", NULL, ""},
    {"diner", NULL, false, "pancakes*:T,burger:T,milkshake:T,coffee:T,omelette:T@cooked", NULL, ""},
    {"noodle shop", NULL, false, "hand-pulled noodles*:T,beef noodle soup:T,dumplings*:T,chili oil:T,cucumber salad:T", NULL, ""},
};

static const char *const restaurant_headers[] = {
    "Review of {name}, {city}:", "{Name} ({type}, {city})", "Dinner at {name}, {city}:", "{Name}, {city}: my review",
    "Lunch at {name}:", NULL};
static const char *const restaurant_and_openings[] = {
    "We had dinner at {name} in {city} {when} and",
    "I went to {name} for lunch {when} and",
    "We tried {name}, the new {type} {near}, and",
    "My {rel} took me to {name} for {occasion} and",
    "We booked a table at {name} for {occasion} and",
    "I finally tried {name} in {city} and",
    "We stopped at {name} on our way home and",
    NULL};
static const char *const restaurant_sentence_openings[] = {
    "We ate at {name} on {day} evening.",
    "{Name} is a small {type} {near}.",
    "I finally tried {name} {when}.",
    "We booked a table at {name} for {occasion}.",
    "We had lunch at {name} in {city} {when}.",
    "{Name} opened {near} a few months ago.",
    "My {rel} and I went to {name} {when}.",
    NULL};
static const char *const restaurant_contexts[] = {
    "We went on a {day} evening.", "There were {num} of us.", "We ordered the {dish} and the {dish}.",
    "We had a table by the window.", "We booked a table {a week ahead|on the day|online}.",
    "The menu changes every {week|month|season}.", "It is a short walk from {the station|the main square|our hotel}.",
    "We went for {lunch|dinner|brunch} {with my {rel}|with friends|after work}.", "I had the {dish}.",
    "The bill came to {price} for {num} of us.", "We sat {outside|at the bar|upstairs|in the back room}.",
    "We arrived around {seven|eight|half past seven|one}.", "They take bookings by phone only.", NULL};

/* ================================================================ hotels */

static const demo_type hotel_types[] = {
    {"hotel", NULL, false, "lobby:V,restaurant:T,bar:G,room service:PH", "the {word} Hotel", ""},
    {"boutique hotel", NULL, false, "decor:V,rooftop bar:G,design:V,restaurant:T", "the {word} {House|Rooms|Quarters|Residence}", ""},
    {"inn", NULL, false, "fireplace:G,dining room:G,garden:V", "the {word} Inn", ""},
    {"guesthouse", NULL, false, "hosts*:H,garden:V,common room:C", "{word} Guesthouse", ""},
    {"hostel", NULL, false, "dorms*:CK,lockers*:F,common room:C,kitchen:K", "the {word} Hostel", ""},
    {"resort", NULL, false, "beach:KV,buffet:T,kids' club:G,activities*:G", "the {word} Bay Resort", ""},
    {"bed and breakfast", "bed and breakfasts", false, "hosts*:H,garden:V,homemade jam:T", "{word} House", ""},
    {"motel", NULL, false, "parking lot:K,vending machine:F,ice machine:F", "the {word} Motel", ""},
    {"lodge", NULL, false, "fireplace:G,trails*:G,restaurant:T,hot tub:K", "{word} Lodge", ""},
    {"apartment hotel", NULL, false, "kitchen:K,living room:C,washing machine:F", "the {word} Apartments", ""},
    {"campsite", NULL, false, "pitches*:G,showers*:K,shop:G,playground:K", "{word} Campsite", ""},
};
static const char *const hotel_headers[] = {
    "Review of {name}, {city}:", "{Name} ({city}), {num} nights:", "Our stay at {name}:", "{Name}, {city}",
    "Stayed at {name} in {month}:", NULL};
static const char *const hotel_and_openings[] = {
    "I stayed at {name} in {city} {when} and",
    "We spent {num} nights at {name} {when} and",
    "We booked {name} for a {weekend away|work trip|family holiday|conference|wedding} and",
    "I stayed at {name} for work {when} and",
    "My {rel} and I stayed at {name} in {city} and",
    "We checked in to {name} {when} and",
    NULL};
static const char *const hotel_sentence_openings[] = {
    "We stayed at {name} for {num} nights.",
    "I booked {name} through {a booking site|the hotel website|a travel agent}.",
    "{Name} is {near} in {city}.",
    "We stayed at {name} in {city} {when}.",
    "I spent {num} nights at {name} for a conference.",
    NULL};
static const char *const hotel_contexts[] = {
    "We stayed {num} nights.", "We booked through {a booking site|the hotel website|a travel agent}.",
    "The hotel is {near}.", "Our room was on the {ordinal} floor.",
    "We were there for {a wedding|a conference|a long weekend|a family holiday|work}.",
    "Check-out is at {eleven|noon|ten}.", "We paid {price} a night.", "We arrived late on a {day}.",
    "There is a bus stop right outside.", "We traveled with {two kids|our dog|my {rel}|friends}.",
    "Breakfast runs from seven until ten.", "Parking costs extra.", NULL};

/* ================================================================ films */

static const demo_type film_types[] = {
    {"thriller", NULL, false, "twist:S,villain:G,tension:S", NULL, ""},
    {"comedy", "comedies", false, "jokes*:SJ,humor:SJ,comic timing:SJ", NULL, ""},
    {"drama", NULL, false, "performances*:G,lead performance:G,emotional scenes*:S", NULL, ""},
    {"documentary", "documentaries", false, "interviews*:S,research:G,narration:L,archive footage:I", NULL, ""},
    {"animated film", NULL, false, "animation:V,voice cast:G,songs*:L,character design:V", NULL, ""},
    {"horror film", NULL, false, "scares*:S,atmosphere:G,creature effects*:I,sound design:L", NULL, ""},
    {"science fiction film", NULL, false, "world-building:S,special effects*:VI,premise:S,production design:V", NULL, ""},
    {"romantic comedy", "romantic comedies", false, "leads*:G,chemistry:S,jokes*:SJ,meet-cute:S", NULL, ""},
    {"war film", NULL, false, "battle scenes*:G,sound design:L,performances*:G", NULL, ""},
    {"western", NULL, false, "landscapes*:V,shootouts*:G,lead performance:G", NULL, ""},
    {"musical", NULL, false, "songs*:L,choreography:V,vocals*:L,dance numbers*:G", NULL, ""},
    {"mystery", "mysteries", false, "puzzle:S,detective:G,reveal:S,clues*:S", NULL, ""},
    {"crime drama", NULL, false, "performances*:G,villain:G,tension:S", NULL, ""},
    {"fantasy epic", NULL, false, "world-building:S,battle scenes*:G,special effects*:VI,costumes*:V", NULL, ""},
    {"biopic", NULL, false, "lead performance:G,makeup:V,research:G", NULL, ""},
    {"heist film", NULL, false, "heist sequence:G,ensemble cast:G,twist:S", NULL, ""},
    {"action film", NULL, false, "action scenes*:G@choreographed,stunts*:G,fight scenes*:G@choreographed", NULL, ""},
    {"coming-of-age film", NULL, false, "young cast:G,soundtrack:L,performances*:G", NULL, ""},
};
static const char *const film_headers[] = {
    "Review of {name} ({year}):", "{Name} ({year}), a review", "My thoughts on {name}:", "Film review: {name}",
    "{Name}, directed by {person}", NULL};
static const char *const film_and_openings[] = {
    "I watched {name} {when} and",
    "We saw {name} at the cinema {when} and",
    "I finally got around to watching {name} and",
    "My {rel} and I watched {name} on {day} night and",
    "I went to a late showing of {name} and",
    "I watched {name}, the new {type} from {person}, and",
    NULL};
static const char *const film_sentence_openings[] = {
    "I watched {name} {when}.",
    "{Name} is the new {type} from director {person}.",
    "I saw {name} at a late showing {when}.",
    "We watched {name} at home on {day}.",
    "{Name} came out in {year}.",
    NULL};
static const char *const film_contexts[] = {
    "I saw it at {the cinema|a small cinema|home|a late showing|an early screening}.",
    "It runs just over {two hours|ninety minutes|two and a half hours}.", "It {is|was} directed by {person}.",
    "The film is based on a {novel|comic series|short story|stage play}.", "I watched it with my {rel}.",
    "I went in after seeing the trailer.", "It came out in {year}.", "The cinema was about half full.",
    "I watched it in {Korean|French|Spanish|Danish} with subtitles.",
    "It is the {ordinal} film from {person}.", NULL};

/* ================================================================ books */

static const demo_type book_types[] = {
    {"novel", NULL, false, "narrator:S,setting:V,themes*:S", NULL, ""},
    {"mystery novel", NULL, false, "detective:G,clues*:S,reveal:S", NULL, ""},
    {"thriller", NULL, false, "twist:S,villain:G,cliffhangers*:S", NULL, ""},
    {"memoir", NULL, false, "anecdotes*:S,voice:S,honesty:G", NULL, ""},
    {"biography", "biographies", false, "research:G,sources*:G,portrait:S", NULL, ""},
    {"fantasy novel", NULL, false, "world-building:S,magic system:S,maps*:V", NULL, ""},
    {"science fiction novel", NULL, false, "world-building:S,premise:S,ideas*:S", NULL, ""},
    {"short story collection", NULL, false, "stories*:S,title story:S,range:G", NULL, ""},
    {"poetry collection", NULL, false, "poems*:S,imagery:I,rhythm:S", NULL, ""},
    {"cookbook", NULL, false, "recipes*:TU,photos*:VI,instructions*:U,index:U", NULL, ""},
    {"history book", NULL, false, "research:G,arguments*:S,maps*:V,sources*:G", NULL, ""},
    {"self-help book", NULL, false, "advice:G,exercises*:U,examples*:S", NULL, ""},
    {"graphic novel", NULL, false, "artwork:V,illustrations*:V,lettering:V,panels*:V", NULL, ""},
    {"travel guide", NULL, false, "maps*:U,tips*:G,listings*:G,photos*:VI", NULL, ""},
    {"romance novel", NULL, false, "leads*:G,chemistry:S,banter:SJ", NULL, ""},
    {"children's book", "children's books", false, "illustrations*:V,rhymes*:S,message:S", NULL, ""},
    {"crime novel", NULL, false, "detective:G,villain:G,setting:V", NULL, ""},
    {"historical novel", NULL, false, "setting:V,research:G,period detail:V", NULL, ""},
};
static const char *const book_headers[] = {
    "Review of {name} by {person}:", "Book review: {name} by {person}", "{Name}, by {person}",
    "My thoughts on {name} by {person}:", NULL};
static const char *const book_and_openings[] = {
    "I just finished {name} by {person} and",
    "I read {name} on a long train journey and",
    "Our book club picked {name} this month and",
    "I picked up {name} by {person} on a whim and",
    "I read {name} over the holidays and",
    "My {rel} lent me {name} {when} and",
    NULL};
static const char *const book_sentence_openings[] = {
    "I picked up {name} by {person} at the library.",
    "{Name} is the {ordinal} book by {person}.",
    "I read {name} by {person} {when}.",
    "Our book club read {name} in {month}.",
    "I listened to the audiobook of {name} {when}.",
    NULL};
static const char *const book_contexts[] = {
    "I read it in {num} {days|sittings|evenings}.", "It is the {ordinal} book in a {trilogy|series}.",
    "I listened to the audiobook version.", "{Person} wrote it after {a career in journalism|years as a teacher|a decade of research}.",
    "It runs to about {num} hundred pages.", "Our book club picked it for {month}.",
    "I read the paperback edition.", "It came out in {year}.", "I read it on my e-reader during my commute.",
    "A friend lent me her copy.", NULL};

/* ================================================================ apps */

#define APP_TYPE(name, aspects) {name, NULL, false, aspects, NULL, ""}
static const demo_type app_types[] = {
    APP_TYPE("to-do app", "reminders*:F,lists*:U,widgets*:V"),
    APP_TYPE("note-taking app", "editor:UR,search:P,tagging:U"),
    APP_TYPE("budgeting app", "bank sync:F,charts*:V,categories*:U"),
    APP_TYPE("fitness app", "workouts*:G,tracking:F,coaching:H"),
    APP_TYPE("meditation app", "sessions*:G,narrator:L,sleep stories*:S"),
    APP_TYPE("language-learning app", "lessons*:G,exercises*:U,speech recognition:F"),
    APP_TYPE("photo editor", "filters*:V,export:P,tools*:U"),
    APP_TYPE("weather app", "forecasts*:F,radar:F,alerts*:F"),
    APP_TYPE("password manager", "autofill:F,browser extension:F,vault:U"),
    APP_TYPE("podcast app", "player:UR,downloads*:F,discovery:G"),
    APP_TYPE("recipe app", "recipes*:T,shopping list:U,meal planner:U"),
    APP_TYPE("habit tracker", "streaks*:G,reminders*:F,stats*:V"),
    APP_TYPE("banking app", "transfers*:P,card controls*:U,login:F"),
    APP_TYPE("calendar app", "scheduling:U,invites*:F,widgets*:V"),
    APP_TYPE("sleep tracker", "sleep data:F,alarm:F,reports*:V"),
    APP_TYPE("music player", "playlists*:U,equalizer:L,library view:UR"),
    APP_TYPE("video editor", "timeline:UR,export:P,effects*:V"),
    APP_TYPE("flashcard app", "decks*:U,spaced repetition:F,card editor:U"),
    APP_TYPE("journaling app", "prompts*:G,editor:UR,backups*:F"),
    APP_TYPE("run tracker", "GPS:F,pace alerts*:F,maps*:V"),
};
static const char *const app_headers[] = {
    "Review of {name} ({type}):", "{Name} app review", "My review of {name}, the {type}:", "{Name}, {dur} in:",
    NULL};
static const char *const app_and_openings[] = {
    "I have been using {name} for {dur} and",
    "I switched to {name} {when} and",
    "I downloaded {name} {when} and",
    "I tried {name} after my {rel} mentioned it, and",
    "I moved all my stuff over to {name} {when} and",
    NULL};
static const char *const app_sentence_openings[] = {
    "I downloaded {name} {when}.",
    "{Name} is a {type} for phones and tablets.",
    "I have used {name} every day for {dur}.",
    "I switched to {name} from another {type} {when}.",
    NULL};
static const char *const app_contexts[] = {
    "I use it on my {phone|tablet|laptop} {every day|most mornings|at work}.", "I switched from {app_name} {when}.",
    "I pay for the {monthly|yearly} plan.", "It is available on {Android and iOS|the web and on phones|iPhone only}.",
    "I mostly use it {at work|for personal stuff|with my {rel}}.", "I installed it on {two|three} devices.",
    "The {monthly|yearly} plan costs {price}.", "I found it through a friend.", NULL};

/* ================================================================ video games */

#define VIDEO_GAME_ASPECTS "graphics*:VI,controls*:UR,soundtrack:L,loading times*:P,frame rate:R,tutorial:U,art style:V,"
static const demo_type game_types[] = {
    {"puzzle game", NULL, false, VIDEO_GAME_ASPECTS "puzzles*:S,hint system:U,level design:G", NULL, ""},
    {"racing game", NULL, false, VIDEO_GAME_ASPECTS "cars*:V,tracks*:G,handling:UR,career mode:G", NULL, ""},
    {"role-playing game", NULL, false, VIDEO_GAME_ASPECTS "story:S,quests*:S,combat:G,characters*:SJ,world:V", NULL, ""},
    {"strategy game", NULL, false, VIDEO_GAME_ASPECTS "campaign:S,AI opponents*:G,interface:UR,maps*:G", NULL, ""},
    {"platformer", NULL, false, VIDEO_GAME_ASPECTS "level design:G,jumping:UR,boss fights*:G,checkpoints*:G", NULL, ""},
    {"farming sim", NULL, false, VIDEO_GAME_ASPECTS "crops*:G,villagers*:S,seasons*:G,crafting:U", NULL, ""},
    {"survival game", NULL, false, VIDEO_GAME_ASPECTS "crafting:U,base building:G,multiplayer:F,servers*:F", NULL, ""},
    {"shooter", NULL, false, VIDEO_GAME_ASPECTS "gunplay:G,maps*:G,matchmaking:P,servers*:F,campaign:S", NULL, ""},
    {"horror game", NULL, false, VIDEO_GAME_ASPECTS "atmosphere:G,scares*:S,story:S,sound design:L", NULL, ""},
    {"city builder", NULL, false, VIDEO_GAME_ASPECTS "simulation:G,traffic system:F,interface:UR,scenarios*:G", NULL, ""},
    {"rhythm game", NULL, false, VIDEO_GAME_ASPECTS "song list:G,timing:F,difficulty modes*:G", NULL, ""},
    {"mobile game", NULL, false, "graphics*:VI,controls*:UR,ads*:G,in-app purchases*:M,levels*:G,progression:G", NULL, ""},
    {"adventure game", NULL, false, VIDEO_GAME_ASPECTS "story:S,characters*:SJ,dialogue:SJ,puzzles*:S", NULL, ""},
    {"fighting game", NULL, false, VIDEO_GAME_ASPECTS "roster:G,netcode:F,combo system:U,training mode:G", NULL, ""},
};
static const char *const game_headers[] = {
    "Review of {name} ({platform}):", "{Name} review ({platform})", "My thoughts on {name}:", "{Name}, {hours} hours in:",
    NULL};
static const char *const game_and_openings[] = {
    "I have played {name} for about {hours} hours and",
    "I picked up {name} on sale {when} and",
    "My friends and I played {name} {when} and",
    "I finished {name} on {platform} {when} and",
    "I started {name} over the holidays and",
    NULL};
static const char *const game_sentence_openings[] = {
    "I bought {name} for {platform} {when}.",
    "{Name} is a {type} from a small studio.",
    "I have put about {hours} hours into {name}.",
    "I played {name} on {platform}.",
    NULL};
static const char *const game_contexts[] = {
    "I played it on {platform}.", "I have put about {hours} hours into it.", "I played the whole thing with my {rel}.",
    "It took me about {hours} hours to finish.", "It came out in {year}.", "I bought it on sale for {price}.",
    "I played it on the {normal|hard|easiest} difficulty.", "It is made by a team of about {num} hundred people.", NULL};

/* ================================================================ board games */

static const demo_type board_game_types[] = {
    {"board game", NULL, false, "theme:G,player count:G", NULL, ""},
    {"card game", NULL, false, "card art:V,deck:B", NULL, ""},
    {"party game", NULL, false, "prompts*:G,rounds*:P", NULL, ""},
    {"cooperative game", NULL, false, "theme:G,difficulty:G", NULL, ""},
    {"strategy board game", NULL, false, "theme:G,scoring:U,setup time:P", NULL, ""},
    {"puzzle box", "puzzle boxes", false, "mechanisms*:F,finish:B", NULL, ""},
    {"jigsaw puzzle", NULL, false, "pieces*:B,image:V,box:B", NULL, ""},
};
static const char *const board_game_headers[] = {
    "Review of {name} ({type}):", "{Name}: a review", "{Name}, after {num} plays:", NULL};
static const char *const board_game_and_openings[] = {
    "We played {name} at our game night {when} and",
    "My {rel} bought {name} for the family and",
    "I have played {name} {num} times now and",
    "We tried {name} with {num} players and",
    NULL};
static const char *const board_game_sentence_openings[] = {
    "We played {name} on {day} night.",
    "{Name} is a {type} for two to {num} players.",
    "I bought {name} as a gift for my {rel}.",
    NULL};
static const char *const board_game_contexts[] = {
    "We played with {num} players.", "A game takes about an hour.", "I have played it {num} times so far.",
    "We played it at a family gathering.", "It costs {price}.", "The box says ages ten and up.",
    "I taught it to my {rel} first.", NULL};

/* ================================================================ places to go */

static const demo_type place_types[] = {
    {"museum", NULL, false, "exhibits*:G,collection:G,audio guide:U,displays*:V", "the {city} Museum of {Art|History|Science|Design|Maritime History}", ""},
    {"art gallery", "art galleries", false, "paintings*:V,exhibitions*:G,curation:G", "the {word} Gallery", ""},
    {"aquarium", NULL, false, "tanks*:K,shark tunnel:V,touch pool:G,exhibits*:G", "the {city} Aquarium", ""},
    {"botanical garden", NULL, false, "gardens*:V,greenhouses*:V,paths*:K,rose garden:V", "the {city} Botanical Garden", ""},
    {"zoo", NULL, false, "enclosures*:K,animals*:G,petting area:K,map:U", "the {city} Zoo", ""},
    {"castle", NULL, false, "grounds*:V,guided tour:G,views*:V,armory:G", "{word} Castle", ""},
    {"escape room", NULL, false, "puzzles*:S,game master:H,room design:V,story:S", "{word} Escape Rooms", ""},
    {"spa", NULL, false, "massage:C,sauna:K,treatment rooms*:C,robes*:C", "the {word} Spa", ""},
    {"climbing gym", NULL, false, "routes*:G,equipment:B,showers*:K,changing rooms*:K", "{word} Climbing", ""},
    {"food market", NULL, false, "stalls*:G,food:T,seating:C", "the {word} Market", ""},
    {"boat tour", NULL, false, "guide:H,boat:CK,views*:V,commentary:S", "the {word} Bay boat tour", ""},
    {"walking tour", NULL, false, "guide:H,route:G,stories*:S", "the {city} old town walking tour", ""},
    {"theme park", NULL, false, "rides*:G,queues*:P,food:T,shows*:G", "{word} Park", ""},
    {"water park", NULL, false, "slides*:G,pools*:K,lockers*:F,lifeguards*:H", "{word} Splash Park", ""},
    {"cinema", NULL, false, "seats*:C,screen:I,sound:L,snacks*:T", "the {word} Cinema", ""},
    {"hair salon", NULL, false, "stylist:H,haircut:G,booking system:U", "{word} Hair Studio", ""},
    {"yoga studio", NULL, false, "instructor:H,classes*:G,studio:KQ,mats*:K", "{word} Yoga", ""},
    {"bookshop", NULL, false, "selection:G,reading corner:C", "{word} Books", ""},
    {"bowling alley", "bowling alleys", false, "lanes*:K,shoes*:K,bar:G,music:L", "{word} Lanes", ""},
    {"concert hall", NULL, false, "acoustics*:L,seats*:C,bar:G,sound:L", "the {city} Concert Hall", ""},
    {"library", "libraries", false, "study spaces*:CQ,collection:G,wifi:F", "the {city} Central Library", ""},
    {"swimming pool", NULL, false, "changing rooms*:K,water:K,lanes*:G,lifeguards*:H", "the {word} Lido", ""},
};
static const char *const place_headers[] = {
    "Review of {name}, {city}:", "{Name} ({city})", "Our visit to {name}:", "{Name}: my review", NULL};
static const char *const place_and_openings[] = {
    "We visited {name} in {city} {when} and",
    "I took my {rel} to {name} {when} and",
    "We spent {an afternoon|a morning|the day} at {name} and",
    "I went to {name} for the first time {when} and",
    "We stopped by {name} during a trip to {city} and",
    NULL};
static const char *const place_sentence_openings[] = {
    "We spent {an afternoon|a morning|the day} at {name}.",
    "I visited {name} in {city} {when}.",
    "{Name} is {near} in {city}.",
    "We went to {name} on a {day} {morning|afternoon}.",
    NULL};
static const char *const place_contexts[] = {
    "We went on a {day} {morning|afternoon}.", "Tickets cost {price} per person.", "We spent about {num} hours there.",
    "We went with {the kids|my parents|friends|my {rel}}.", "It is {near}.",
    "We got there just after {opening time|lunch|ten}.", "We booked tickets online the day before.",
    "It was our {ordinal} visit.", NULL};

/* ================================================================ journeys */

static const demo_type trip_types[] = {
    {"flight", NULL, false, "cabin crew:H,seats*:C,legroom:C,boarding:PD,food:T,entertainment system:F,departure:D",
     "{brand} {Air|Airways|Airlines}", "flew with {name} from {city} to {city2}"},
    {"train", NULL, false, "seats*:C,carriages*:K,wifi:F,conductor:H,cafe car:T,departure:D",
     "{brand} Rail", "took the {name} train from {city} to {city2}"},
    {"ferry", "ferries", false, "cabins*:CK,deck:K,food:T,crossing:G,boarding:PD",
     "{brand} Ferries", "took the {name} ferry from {city} to {city2}"},
    {"coach", "coaches", false, "driver:H,seats*:C,toilet:K,wifi:F,departure:D",
     "{brand} Coaches", "took the {name} coach from {city} to {city2}"},
    {"car rental", NULL, false, "car:K,pickup:PD,paperwork:U,insurance:M,return process:P",
     "{brand} Car Hire", "rented a car from {name} in {city}"},
    {"airport transfer", NULL, false, "driver:H,van:K,pickup:PD,booking:U", "{brand} Transfers",
     "booked an airport transfer with {name} in {city}"},
};
static const char *const trip_headers[] = {
    "Review of {name}, {city} to {city2}:", "{Name}: {city} to {city2}", "My {type} with {name}:", NULL};
static const char *const trip_and_openings[] = {
    "I {x} {when} and", "We {x} last {month} and", "For a work trip I {x}, and", "My {rel} and I {x} {when} and", NULL};
static const char *const trip_sentence_openings[] = {
    "I {x} {when}.", "We {x} on a {day} {morning|evening}.", "I booked a {type} with {name} for a work trip.", NULL};
static const char *const trip_contexts[] = {
    "The {type} took about {num} hours.", "I booked it {a month|two weeks|a few days} in advance.",
    "I was traveling with my {rel}.", "The ticket cost {price}.", "I had one small bag with me.",
    "It was an early {morning|evening} departure.", NULL};

/* ================================================================ the domains */

#define TYPES(array) array, COUNT(array)
const demo_domain demo_domains[] = {
    {"product", 0.26, TYPES(product_types),
     "price:O,build quality:B,design:V,packaging:B,instructions*:U,customer service:H,delivery:P,warranty:G,materials*:B,color:V",
     "{brand} {model}", "the {name} {type}", "{the|{this}|the|my} {type}", "GB", "GMB", "GB",
     "buy {them} again", "{made|designed|put together}", "{owned|used|bought}",
     "{it|my purchase|this purchase|the {type}}", "{my old one|the {brand} {model}|the one I had before|the cheaper model|my last {type}}",
     0.25, 0.1, product_headers, product_and_openings, product_sentence_openings, product_contexts},
    {"restaurant", 0.14, TYPES(restaurant_types),
     "food:T@cooked,service:HP,staff*:H,waiter:H,atmosphere:G,decor:V,prices*:O,portions*:A,dessert:T,drinks*:T,wine list:G,menu:G,music:L,wait:P,toilets*:K,coffee:T",
     "{rname}", "{name}", "{the restaurant|the place|this place|the {type}}", "G", "GML", "GL",
     "{be back|come back|go back}", "{run|managed}", "{eaten at|been to}",
     "{the meal|our meal|the food|the evening|{them}}", "{the other places on this street|the last {type} we tried|{rname}}",
     0.9, 0.6, restaurant_headers, restaurant_and_openings, restaurant_sentence_openings, restaurant_contexts},
    {"hotel", 0.13, TYPES(hotel_types),
     "room:GKQC,bed:C,breakfast:T,staff*:H,reception:HP,location:G,view:V,pool:K,bathroom:K,shower:F,wifi:F,check-in:P,parking:G,price:O,air conditioning:FQ,towels*:K,neighborhood:GQ,decor:V",
     "the {word} Hotel", "{name}", "{the hotel|the place|{this} {type}|the {type}}", "GK", "GML", "GL",
     "{stay here again|stay there again|come back|be back}", "{run|managed|kept}", "{stayed in|stayed at}",
     "{our stay|the stay|the hotel|{them}}", "{the last hotel we stayed at|the place we stayed at last year|the hotel next door}",
     0.9, 0.55, hotel_headers, hotel_and_openings, hotel_sentence_openings, hotel_contexts},
    {"film", 0.1, TYPES(film_types),
     "plot:S,story:S,acting:G,cast:G,script:SJ@written,dialogue:SJ@written,soundtrack:L,score:L,pacing:S,ending:S,cinematography:VI,visuals*:VI,characters*:SJ,direction:G,editing:G",
     "{title}", "{name}", "{the film|the movie|{this} {type}|the {type}|{name}}", "GS", "GSW", "G",
     "watch it again", "{made|acted|shot|directed}", "{seen|watched}",
     "{the film|{them}|the ending}", "{the first film|the book|the director's last film|most films this year}",
     0.55, 0.25, film_headers, film_and_openings, film_sentence_openings, film_contexts},
    {"book", 0.1, TYPES(book_types),
     "writing:S,prose:S,characters*:SJ,plot:S,ending:S,pacing:S,dialogue:SJ@written,chapters*:S,cover:V,structure:S,translation:S,audiobook narration:L",
     "{title}", "{name}", "{the book|{this} {type}|the {type}|{name}}", "GS", "GSR", "G",
     "read it again", "{written|researched|edited|translated}", "read",
     "{the book|{them}|the ending}", "{the author's previous book|the first book in the series|{title}}",
     0.35, 0.05, book_headers, book_and_openings, book_sentence_openings, book_contexts},
    {"app", 0.08, TYPES(app_types),
     "interface:UVR,sync:F,notifications*:U,updates*:G,subscription:M,ads*:G,login:F,search:P,support team:H,free version:G,widgets*:V,performance:PR,onboarding:U,dark mode:V,settings*:U,offline mode:F",
     "{app_name}", "{name}", "{the app|this app|{name}}", "GUFP", "GM", "GA",
     "", "{designed|made|built}", "{used|tried}",
     "{the app|{them}|the subscription}", "{the app I used before|{app_name}|the old version}",
     0.15, 0.05, app_headers, app_and_openings, app_sentence_openings, app_contexts},
    {"game", 0.08, TYPES(game_types),
     "gameplay:G,price:O,replay value:G,difficulty:G",
     "{game_title}", "{name}", "{the game|this game|{name}}", "GS", "GMS", "GA",
     "play it again", "{designed|made|built}", "played",
     "{the game|{them}|the ending}", "{the previous game in the series|{game_title}|most games in the genre}",
     0.3, 0.1, game_headers, game_and_openings, game_sentence_openings, game_contexts},
    {"board game", 0.04, TYPES(board_game_types),
     "rules*:U,components*:B,artwork:V,gameplay:G,replay value:G,rulebook:U,box insert:B,price:O",
     "{board_title}", "{name}", "{the game|this game|{name}}", "GUB", "GMB", "G",
     "play it again", "{designed|made|produced}", "played",
     "{the game|{them}}", "{the last game we bought|{board_title}|most games in our cupboard}",
     0.35, 0.45, board_game_headers, board_game_and_openings, board_game_sentence_openings, board_game_contexts},
    {"place", 0.05, TYPES(place_types),
     "staff*:H,tickets*:M,queues*:P,cafe:T,gift shop:G,toilets*:K,signage:U,location:G,facilities*:K",
     "the {word} Centre", "{name}", "{the place|{this} {type}|the {type}}", "GK", "GML", "GL",
     "{go back|come back|be back}", "{run|managed|organized|kept}", "{visited|been to}",
     "{the visit|our visit|{them}|the day}", "{the other {types} in {city}|the one in {city2}}",
     0.85, 0.55, place_headers, place_and_openings, place_sentence_openings, place_contexts},
    {"trip", 0.04, TYPES(trip_types),
     "price:O,customer service:H,booking process:U,punctuality:G",
     "{brand} Travel", "{name}", "{the company|{name}|the {type}}", "GP", "GM", "G",
     "use them again", "{run|organized|managed}", "{taken|had}",
     "{the trip|the journey|the service|{them}}", "{the last company I used|{brand} {Air|Rail}|the other options}",
     0.95, 0.3, trip_headers, trip_and_openings, trip_sentence_openings, trip_contexts},
};
const int demo_domain_count = COUNT(demo_domains);

/* ================================================================ phrase pools */

const demo_predicate demo_aspect_predicates[] = {
    {'G', {"could be better", "could be better", "could have been better"}},
    {'G', {"leaves much to be desired", "leave much to be desired", "left much to be desired"}},
    {'G', {"{really |}exceeds my expectations", "{really |}exceed my expectations", "{really |}exceeded my expectations"}},
    {'G', {"falls short", "fall short", "fell short"}},
    {'G', {"{really |}impresses {me}", "{really |}impress {me}", "{really |}impressed {me}"}},
    {'G', {"disappoints {me}", "disappoint {me}", "disappointed {me}"}},
    {'G', {"{never disappoints|does not disappoint|doesn't disappoint}", "{never disappoint|do not disappoint|don't disappoint}",
           "{never disappointed|did not disappoint|didn't disappoint}"}},
    {'G', {"lets {me} down", "let {me} down", "let {me} down"}},
    {'G', {"blows {me} away", "blow {me} away", "blew {me} away"}},
    {'B', {"is already broken", "are already broken", "broke {after a week|within a month|on the second day}"}},
    {'B', {"{is holding up|holds up} {well|nicely|perfectly}", "{are holding up|hold up} {well|nicely|perfectly}", "held up {well|nicely|perfectly}"}},
    {'B', {"is already falling apart", "are already falling apart", "fell apart {after a month|within weeks|almost at once}"}},
    {'F', {"stops working {every few days|now and then}", "stop working {every few days|now and then}", "stopped working after {dur}"}},
    {'F', {"works like a charm", "work like a charm", "worked like a charm"}},
    {'F', {"does the job", "do the job", "did the job"}},
    {'F', {"fails {constantly|every other day|at the worst moments}", "fail {constantly|every other day|at the worst moments}",
           "failed {twice|on the first day|within a week}"}},
    {'T', {"hits the spot", "hit the spot", "hit the spot"}},
};
const int demo_aspect_predicate_count = COUNT(demo_aspect_predicates);

const demo_predicate demo_subject_predicates[] = {
    {'G', {"{cop} worth every penny", "{cop} worth every penny", "{cop} worth every penny"}},
    {'G', {"{cop} {definitely |}worth it", "{cop} {definitely |}worth it", "{cop} {definitely |}worth it"}},
    {'G', {"{cop} {not|hardly} worth it", "{cop} {not|hardly} worth it", "{cop} {not|hardly} worth it"}},
    {'G', {"{cop} {not |}worth the money", "{cop} {not |}worth the money", "{cop} {not |}worth the money"}},
    {'G', {"{cop} second to none", "{cop} second to none", "{cop} second to none"}},
    {'G', {"{cop} a breath of fresh air", "{cop} a breath of fresh air", "{cop} a breath of fresh air"}},
    {'G', {"{really |}exceeds my expectations", "{really |}exceed my expectations", "{really |}exceeded my expectations"}},
    {'G', {"falls short of my expectations", "fall short of my expectations", "fell short of my expectations"}},
    {'G', {"{really |}impresses {me}", "{really |}impress {me}", "{really |}impressed {me}"}},
    {'G', {"disappoints {me}", "disappoint {me}", "disappointed {me}"}},
    {'G', {"{never disappoints|does not disappoint|doesn't disappoint}", "{never disappoint|do not disappoint|don't disappoint}",
           "{never disappointed|did not disappoint|didn't disappoint}"}},
    {'G', {"lets {me} down", "let {me} down", "let {me} down"}},
    {'G', {"blows {me} away", "blow {me} away", "blew {me} away"}},
    {'G', {"does the job", "do the job", "did the job"}},
    {'B', {"{cop} money well spent", "{cop} money well spent", "{cop} money well spent"}},
    {'B', {"is already broken", "are already broken", "broke after {dur}"}},
    {'B', {"works like a charm", "work like a charm", "worked like a charm"}},
    {'B', {"is already falling apart", "are already falling apart", "fell apart after {dur}"}},
    {'B', {"stops working {every few days|now and then}", "stop working {every few days|now and then}", "stopped working after {dur}"}},
    {'A', {"keeps crashing", "keep crashing", "kept crashing"}},
    {'A', {"crashes {constantly|all the time|every few days}", "crash {constantly|all the time|every few days}",
           "crashed {constantly|all the time|every few days}"}},
    {'A', {"freezes {constantly|every few minutes}", "freeze {constantly|every few minutes}", "froze {constantly|every few minutes}"}},
    {'A', {"works like a charm", "work like a charm", "worked like a charm"}},
    {'A', {"runs {smoothly|flawlessly|reliably|well}", "run {smoothly|flawlessly|reliably|well}", "ran {smoothly|flawlessly|reliably|well}"}},
    {'L', {"has gone downhill", "have gone downhill", "went downhill"}},
    {'L', {"{cop} a {real |true |}treat", "{cop} a {real |true |}treat", "{cop} a {real |true |}treat"}},
};
const int demo_subject_predicate_count = COUNT(demo_subject_predicates);

const char *const demo_recommend_patterns[] = {
    "would recommend {them}{| to anyone| to friends| to anyone looking for {a_type}}",
    "would {highly|definitely|strongly} recommend {them}{| to anyone| to friends}",
    "can {highly |}recommend {them}", "{would not|wouldn't|cannot|can't} recommend {them}{| to anyone}",
    "would never recommend {them}{| to anyone}", "{would|will} {happily |}recommend {them}", NULL};

const char *const demo_again_auxiliaries[] = {
    "will ", "will {definitely|certainly} ", "would {happily |}", "won't ", "will not ", "will never ", "would never ",
    "would not ", NULL};

const char *const demo_comparison_patterns[] = {
    "{|much |far |slightly |a bit }better than", "{|much |far |slightly |a bit }worse than", "no {better|worse} than",
    "not much better than", "nowhere near as good as", "just as {good|bad} as", "not as {good|bad} as", NULL};

const char *const demo_superlative_patterns[] = {
    "{the|easily the|by far the|hands down the} {best|worst} {type} {i} have ever {pp}",
    "one of the {best|worst} {types} {i} have {pp}", "not the {best|worst} {type} {i} have {pp}",
    "{my} {new |}favorite {type}", NULL};

const char *const demo_fragment_patterns[] = {
    "wow", "meh", "ugh", "thumbs up", "thumbs down", "{highly |}recommended", "not recommended", "avoid",
    "avoid at all costs", "stay away", "never again", "money well spent", "worth every penny", "five stars",
    "four stars", "three stars", "two stars", "one star", "could be better", "nothing special",
    "no complaints{| at all}", "not bad{| at all}", "can't complain", "{definitely |}worth it", "not worth it",
    "{5|4|3|2} stars", "1 star", NULL};

/* ================================================================ sentences */

const char *const demo_aspect_sentences[] = {
    "The {a} {acop} {p}.", "The {a} {acop} {p}.", "The {a} {acop} {p}.", "The {a} {acop} {p}.",
    "{I} {found} the {a} {p}.", "{Pa} {a}.", "{Pa} {a}.", "As for the {a}, {apron} {acop} {p}.", "The {a}? {P}.",
    "The {a} {vp}.", "The {a} {vp}.", "{I} {verb} the {a}.", "{I} {verb} the {a}.", "The {a} in particular {acop} {p}.",
    "For me, the {a} {acop} {p}.", "{I} {think} the {a} {acop} {p}.", "{Its} {a} {acop} {p}.", "Then there {acop} the {a}, which {acop} {p}.", NULL};
const char *const demo_participle_sentences[] = {
    "The {a} {acop} {adv} {partic}.", "The {a} {acop} {adv} {partic}, {too|as it happens|to my mind}.", NULL};
const char *const demo_works_sentences[] = {"The {a} {aworks} {advw}.", "The {a} {aworks} {advw} {so far|for me|most of the time}.", NULL};
const char *const demo_pair_sentences[] = {
    "The {a} {acop} {p} and the {a2} {acop2} {p2}.", "{Pa} {a}, {pa2} {a2}.", "The {a} {acop} {p}, and the {a2} {acop2} {p2} too.",
    "Both the {a} and the {a2} {copl} {pg}.", "The {a} {acop} {pg}, and so {acop2} the {a2}.",
    "The {a} {acop} {p}; the {a2} {acop2} {p2}.", "{Pa} {a} and {pa2} {a2}.", NULL};
const char *const demo_contrast_sentences[] = {
    "The {a} {acop} {p}, but the {a2} {acop2} {p2}.", "While the {a} {acop} {p}, the {a2} {acop2} {p2}.",
    "The {a} {acop} {p}; the {a2}, on the other hand, {acop2} {p2}.", "{Pa} {a}, but {pa2} {a2}.",
    "The {a} {acop} {p}, although the {a2} {acop2} {p2}.", "The {a} {acop} {p}. The {a2}, however, {acop2} {p2}.",
    "{I} {verb} the {a}, but the {a2} {acop2} {p2}.", "{Pa} {a}; shame about the {a2}, which {acop2} {p2}.", NULL};
const char *const demo_overall_sentences[] = {
    "{S} {cop} {ps}.", "{S} {cop} {ps}.", "{It} {cop} {rated_type}.", "{Psa} {type}.", "{It} {cop} {np}.",
    "{I} {verb} {them}.", "{I} {am} {feel} with {experience}.", "{S} {vps}.", "{It} {vps}.", "{S} {cop} {adv} {spartic}.",
    "Honestly, {it} {cop} {ps}.", "As {a_type}, {it} {cop} {ps}.", "{S} {cop} {np}.", "What {rated_type}!", NULL};
const char *const demo_verdict_sentences[] = {
    "Overall, {it} {cop} {pg}.", "Overall, {np}.", "All in all, {rated_type}.", "In short, {it} {cop} {pg}.",
    "{I} {rec}.", "{I} {rec}.", "{I} {again}.",
    "{Frag}.", "{Frag}.", "{Frag}!", "Verdict: {pg}.", "Bottom line: {np}.", "{I} {am} {feel} overall.",
    "{I} {am} {feel} with {experience}.", "To sum up, {it} {cop} {pg}.", "{I} {verb} {them}.", NULL};
const char *const demo_and_clauses[] = {
    " {it} {cop} {ps}.", " {it} {cop} {ps}.", " {i} {verb} {them}.", " {i} {am} {feel} with {them}.", " the {a} {acop} {p}.",
    " {it} {vps}.", " {it} {cop} {np}.", " {i} {again}.", " {i} {rec}.", " {i} {found} {them} {ps}.", NULL};
const char *const demo_comparison_sentences[] = {
    "{It} {cop} {cmp} {other}.", "{It} {cop} {sup}.", "Compared to {other}, {it} {cop} {ps}.", "{S} {cop} {sup}.", NULL};
const char *const demo_single_sentences[] = {
    "{Full} {cop} {ps}.", "{Psa} {type}.", "{Full} {cop} {rated_type}.", "{Full} {vps}.", "{I} {verb} {full}.",
    "{Full}: {np}.", "{Full} {cop} {sup}.", NULL};
