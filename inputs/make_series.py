#!/usr/bin/python3
"""Writes inputs/series.csv: the quarterly series of the baseline's supply nodes.

Each series is a few published anchor values (or a stated assumption) joined
by a rule written next to it, so a reviewer checks the rule and the anchors
here instead of 40 numbers per row there.  Every row of the output carries
its source, the year of that source and a note saying how the value was
derived.  The keys in brackets ([EPOCH-2030] ...) are the bibliography of
inputs/README.md.

    /usr/bin/python3 inputs/make_series.py      # rewrites inputs/series.csv

Conventions: quarter t = 0 is 2026Q1; values are for the quarter (a rate per
quarter, or the mix shipped in that quarter).  "Log-linear" means constant
growth between two anchors.
"""
import csv
import math
import os

FIRST_YEAR, YEARS = 2026, 10
T = 4 * YEARS


def period(t):
    return f"{FIRST_YEAR + t // 4}Q{t % 4 + 1}"


def q(year, quarter):
    """Quarter index of year/quarter (2026Q1 -> 0)."""
    return 4 * (year - FIRST_YEAR) + quarter - 1


def between(anchors, t, join):
    """Value at t of a path through anchors {t: value}, flat outside them;
    join(lo, hi, f) gives the value a share f of the way from lo to hi."""
    ks = sorted(anchors)
    if t <= ks[0]:
        return anchors[ks[0]]
    for a, b in zip(ks, ks[1:]):
        if t <= b:
            return join(anchors[a], anchors[b], (t - a) / (b - a))
    return anchors[ks[-1]]


def loglin(anchors, t):
    """Constant growth between anchors {t: value}; flat before the first."""
    return between(anchors, t, lambda lo, hi, f: lo * (hi / lo) ** f)


def lin(anchors, t):
    """A straight line between anchors {t: value}; flat before the first."""
    return between(anchors, t, lambda lo, hi, f: lo + (hi - lo) * f)


def grow(anchors, t, rates):
    """loglin up to the last anchor, then yearly growth rates[(from_t, to_t)]."""
    last = max(anchors)
    if t <= last:
        return loglin(anchors, t)
    v = anchors[last]
    for k in range(last + 1, t + 1):
        r = next(r for (a, b), r in rates.items() if a <= k <= b)
        v *= (1 + r) ** 0.25
    return v


rows = []


def add(node, unit, source, year, note, values):
    for t in range(T):
        v = values(t)
        rows.append([node, period(t), f"{v:.6g}", unit, source, year, note])


# ---- EUV lithography ------------------------------------------------------
# ASML sold 48 EUV systems in 2025 and plans at least 60 low-NA systems in
# 2026 and about 80 in 2027 [ASML-2026]; its stated capacity ambition is 90
# low-NA systems a year [BITS-2022], reached here in 2028 and held (ASML has
# announced nothing beyond it).  Shipments are spread evenly over a year.
EUV_PER_YEAR = {2026: 60, 2027: 80}
add("euv_shipments", "tools/quarter",
    "ASML Q1 2026 results call as reported by The Daily Scout (Apr 2026): 48 EUV sold in 2025; "
    "plan >=60 low-NA in 2026 and ~80 in 2027 [ASML-2026]; Bits&Chips (2022): ASML capacity "
    "ambition 90 EUV/yr [BITS-2022]",
    2026,
    "annual plan / 4: 60/yr in 2026, 80/yr in 2027, then the 90/yr capacity ambition held "
    "flat (assumption: no published plan beyond it)",
    lambda t: EUV_PER_YEAR.get(FIRST_YEAR + t // 4, 90) / 4)

# EUV exposures per leading-edge wafer grow with the node: N7+ up to 4, N5 up
# to 14, N3 over 20 [BITS-2020].  The 2026 mix of N5/N4 and N3 is taken as
# 20 passes; N2 and A16 add layers (assumption: +2 a year to 28 in 2030,
# where high-NA single exposures replace low-NA double patterning).
LAYERS = {q(2026, 1): 20, q(2030, 1): 28}
add("wafers_per_pass", "wafers/EUV pass",
    "Bits&Chips, 'EUV needs a couple more years to fully mature' (2020): N7+ up to 4 EUV "
    "layers, N5 up to 14, N3 over 20 (ASML CEO) [BITS-2020]",
    2020,
    "1/(EUV passes per wafer): 20 passes in 2026 (N5/N3 mix), +2 per year to 28 in 2030, "
    "then held (assumption beyond N3)",
    lambda t: 1 / lin(LAYERS, t))

# Photoresist for the EUV layers: Japanese makers (TOK, JSR, Shin-Etsu) hold
# ~90% of EUV resist [JT-RESIST-2019] [TF-TOK-2025] and no shortage has cut
# leading-edge output outside the 2019 curbs on Korea, which lost no
# reported output [JN-CURBS-2019] [ANANDTECH-2019].  Normal supply meets every
# EUV pass: the share is 1, and the baseline's event japan_resist cuts it.
add("euv_resist", "share",
    "Japan Times (9 Oct 2019): TOK, JSR and Shin-Etsu ~90% of EUV photoresist [JT-RESIST-2019]; "
    "Nikkei via TrendForce (6 Nov 2025): Japanese makers ~91% of photoresist [TF-TOK-2025]",
    2025,
    "structure: 1 (resist meets every EUV pass); no shortage of EUV resist has cut leading-edge "
    "output on record, the 2019 curbs on Korea included [ANANDTECH-2019]",
    lambda t: 1.0)

# Taiwan's share of sub-10nm logic capacity: 69% in 2022, 47% projected for
# 2032 [BCG-SIA-2024]; linear between them and extrapolated to 2035.
def tw_share(t):
    year = FIRST_YEAR + t / 4 + 0.125  # middle of the quarter
    return 0.69 + (0.47 - 0.69) * (year - 2022) / 10


BCG = ("BCG and SIA, 'Emerging Resilience in the Semiconductor Supply Chain' (May 2024): "
       "sub-10nm logic capacity Taiwan 69% (2022) -> 47% (2032) [BCG-SIA-2024]")
add("tw_logic_share", "share", BCG, 2024,
    "linear between the 2022 and 2032 shares; extrapolated linearly after 2032 (assumption)",
    tw_share)
add("other_logic_share", "share", BCG, 2024, "1 - Taiwan share (Korea, US, Japan, Europe)",
    lambda t: 1 - tw_share(t))

# Share of leading-edge wafers AI accelerators can obtain.  In 2025 AI chips
# used ~12% of advanced logic while CoWoS and HBM bound [EPOCH-COMP-2026];
# Epoch expected ~20% of leading-edge wafers to go to data-centre GPUs by 2030
# [EPOCH-2030]; Apple took ~90% of TSMC N3 in 2023, so one bidder can take
# most of a node.  The series is what AI could get by outbidding, not what
# it uses: 25% in 2026 rising to 35% in 2030 and 40% in 2035 (assumption).
add("ai_wafer_share", "share",
    "assumption; anchored on Epoch AI 'AI chip supply chain constraints' (2026): ~12% of "
    "advanced logic used by AI chips in 2025 [EPOCH-COMP-2026] and Epoch AI 'Can AI scaling "
    "continue through 2030?' (2024), chip section: ~20% of leading-edge wafers for DC GPUs "
    "[EPOCH-2030]",
    2026,
    "share AI accelerators could obtain (above 2025 use, since logic did not bind): 0.25 in "
    "2026Q1, linear to 0.35 in 2030Q4 and 0.40 in 2035Q4",
    lambda t: lin({q(2026, 1): 0.25, q(2030, 4): 0.35, q(2035, 4): 0.40}, t))

# Accelerator logic die sets per wafer: a ~800 mm2 die (reticle limit 858 mm2)
# gives ~64 candidates on a 300 mm wafer (die-per-wafer formula
# pi r^2/A - pi d/sqrt(2A)); at ~60% yield ~38 good dies, i.e. ~19 two-die
# packages (B200/B300, Rubin) or ~9.5 four-die packages (Rubin Ultra, from
# 2027H2).  Mix (assumption): 17 in 2026, 16 in 2027, 12 in 2028, 10 after.
add("die_sets_per_wafer", "accelerators/wafer",
    "assumption from die geometry: reticle limit 26x33 mm = 858 mm2 (Moore's Law Is Dead, "
    "'The Economics of Chiplets') [CHIPLETS]; H100 die 814 mm2; two dies per package for Blackwell and "
    "Rubin, four for Rubin Ultra (NVIDIA GTC 2025 roadmap via Tom's Hardware) [NV-GTC2025]",
    2025,
    "good 2-die sets per wafer ~19 (64 candidates x 0.6 yield / 2), 4-die ~9.5; shipped mix: "
    "17 (2026), 16 (2027), 12 (2028), 10 (2029 on)",
    lambda t: lin({q(2026, 1): 17, q(2027, 1): 16, q(2028, 1): 12, q(2029, 1): 10}, t))

# ---- CoWoS ----------------------------------------------------------------
# TSMC CoWoS capacity, wafers per month at year end: 33-35k end 2024
# [EPOCH-2030 citing CNA], 75-80k end 2025 [TF-2025-12], end 2026 95k
# (JPMorgan) or 120-130k (TrendForce) -> 110k, the middle of the published
# spread; end 2027 112k (JPMorgan) scaled by the same 110/95 -> 130k.  After
# 2027: +20%/yr to 2030 and +10%/yr to 2035 (assumption: the 60%/yr TSMC
# plan ran through 2026; packaging moves to panels later).  OSATs (Amkor,
# ASE/SPIL) add ~15% on top (NVIDIA's 2024 orders: TSMC 120k, Amkor 20-30k
# wafers [REDPLANX]), so total = TSMC / 0.85.
TSMC_WPM = {q(2025, 4): 77.5e3, q(2026, 4): 110e3, q(2027, 4): 130e3}
RATES = {(q(2028, 1), q(2030, 4)): 0.20, (q(2031, 1), q(2035, 4)): 0.10}
add("cowos_total", "wafers/quarter",
    "TrendForce News (8 Dec 2025): TSMC CoWoS 75-80k wpm now, 120-130k by end 2026 "
    "[TF-2025-12]; JPMorgan as reported by iTiger: 95k end 2026, 112k end 2027 [JPM-2026]; "
    "Epoch AI (2024) citing CNA: 33-35k end 2024 [EPOCH-2030]",
    2025,
    "TSMC year-end wpm 77.5k (2025), 110k (2026, middle of 95k JPM and 120-130k TrendForce), "
    "130k (2027), then +20%/yr to 2030 and +10%/yr to 2035 (assumption); /0.85 for OSATs; "
    "x3 months",
    lambda t: grow(TSMC_WPM, t, RATES) / 0.85 * 3)

# Accelerators per CoWoS wafer, effective: gross packages per 300 mm
# interposer wafer (H100 ~29, B200 16 at 100% yield [REDPLANX], Rubin ~9
# [JPM-2026], Rubin Ultra ~6 scaling Rubin by interposer area 5.5x -> 8x
# reticle [TWEAKTOWN-2024]) times 0.9 (AI designers used ~90% of CoWoS in
# 2025 [EPOCH-COMP-2026]) times 0.9 packaging yield (assumption).  Shipped mix
# (assumption): gross 13 in 2026Q1 (B300-class and ASICs), 11.7 in 2026Q4
# (Rubin ramp), 9.3 end 2027, 6.8 end 2028, 6.2 from 2029.
add("accel_per_cowos_wafer", "accelerators/wafer",
    "gross per wafer: B200 16, H100/H200 ~29 (2024 industry report via redplanx) [REDPLANX]; "
    "Rubin ~9 (JPMorgan via iTiger) [JPM-2026]; interposers 5.5x reticle (2026) and 8x (2027) "
    "(TheElec via TweakTown) [TWEAKTOWN-2024]; x0.9 AI share of CoWoS (Epoch AI 2026) "
    "[EPOCH-COMP-2026]",
    2026,
    "effective = gross x 0.9 AI share x 0.9 yield (assumption); shipped-mix gross 13 (2026Q1), "
    "11.7 (2026Q4), 9.3 (2027Q4), 6.8 (2028Q4), 6.2 (2029Q4 on)",
    lambda t: 0.81 * loglin({q(2026, 1): 13, q(2026, 4): 11.7, q(2027, 4): 9.3,
                             q(2028, 4): 6.8, q(2029, 4): 6.2}, t))

# ---- HBM ------------------------------------------------------------------
# HBM stacks available to AI accelerators per quarter.  2025 use is inferred:
# ~8M accelerators (Epoch's stock of >15M H100e at end 2025 less ~5-7M a year
# earlier, at ~1.25 H100e each [EPOCH-SALES-2026, EPOCH-NV-2025]) x ~6.5
# stacks ~ 52M stacks, ~90% of supply [EPOCH-COMP-2026]; HBM use doubled in
# 2025 [TF-HBM-2024], so the end-2025 run rate is ~1.4x the year's average:
# ~20M stacks/quarter, 19M of them to AI in 2026Q1.  Growth: +25% in 2026
# and +30% in 2027 (HBM's share of DRAM wafer input 18% -> 22% -> 30% at the
# ends of 2025/26/27 [TF-HBM-2026], less taller 12/16-high stacks), +25%/yr
# to 2030 (Yole's 45%/yr bit growth 2023-28 via [EPOCH-2030], less ~15%/yr
# more bits per stack), +12%/yr to 2035 (assumption).
HBM_RATES = {(q(2026, 2), q(2026, 4)): 0.25, (q(2027, 1), q(2027, 4)): 0.30,
             (q(2028, 1), q(2030, 4)): 0.25, (q(2031, 1), q(2035, 4)): 0.12}
add("hbm_stacks", "stacks/quarter",
    "derived: Epoch AI (2026) AI designers used ~90% of HBM in 2025 [EPOCH-COMP-2026]; "
    "TrendForce (Aug 2024) HBM use to double in 2025 [TF-HBM-2024]; TrendForce (2026) HBM share "
    "of DRAM wafer input 18/22/30% end 2025/26/27 [TF-HBM-2026]; Yole 45%/yr via Epoch AI "
    "(2024) [EPOCH-2030]",
    2026,
    "19M stacks/quarter to AI in 2026Q1, then +25% (2026), +30% (2027), +25%/yr (2028-30), "
    "+12%/yr (2031-35, assumption); growth net of taller stacks (assumption)",
    lambda t: grow({0: 19e6}, t, HBM_RATES))

# HBM stacks per accelerator shipped: H100 5 (80 GB), H200 6, B200/B300 8
# (B300: eight 12-high HBM3e [TF-HBM-2024]), Rubin 8 HBM4 (288 GB), Rubin
# Ultra 16 HBM4e (1 TB) [NV-GTC2025].  Mix (assumption): 7.5 in 2026, 8 in
# 2027, 10 in 2028, 12 in 2029-30, 14 by 2035.
add("stacks_per_accel_inv", "accelerators/stack",
    "TrendForce (8 Aug 2024): B300 eight HBM3e 12-high stacks, H100 80 GB [TF-HBM-2024]; "
    "NVIDIA GTC 2025 roadmap: Rubin 288 GB HBM4 in 8 stacks, Rubin Ultra 16 stacks / 1 TB "
    "HBM4e (KitGuru; gpu.name) [NV-GTC2025]",
    2025,
    "1 / (stacks per accelerator in the shipped mix): 7.5 (2026), 8 (2027), 10 (2028), 12 "
    "(2029-30), linear to 14 in 2035 (mix: assumption)",
    lambda t: 1 / lin({q(2026, 1): 7.5, q(2027, 1): 8, q(2028, 1): 10, q(2029, 1): 12,
                       q(2030, 4): 12, q(2035, 4): 14}, t))

# ---- accelerators ---------------------------------------------------------
# Dense BF16 FLOP/s of the accelerator mix shipped each quarter.  H100 SXM
# 989.4 TFLOP/s [NV-H100]; B200 2.25 PFLOP/s at 1,000 W and GB200 2.5 at
# 1,200 W [NV-B200]; Rubin: NVL144 rack 1.2 EFLOP/s FP8 over 72 packages =
# 16.7 PFLOP/s FP8, i.e. ~8.3 BF16 at the usual 2:1 ratio [NV-GTC2025] (a
# per-GPU listing of 12.5 PFLOP/s BF16 with sparsity, 6.25 dense
# [MIRRORFROG], is lower: we take ~7); Rubin Ultra twice Rubin (100 vs 50
# PFLOP/s FP4 per package [NV-GTC2025]).  Merchant mix (assumption; custom
# accelerators have series of their own, above): 2.3e15 in 2026Q1 (B300-class), 3.3e15 in
# 2026Q4 (Rubin ~20%), 5.5e15 end 2027, 9e15 end 2028; then +38%/yr, Epoch's
# 1.28x/yr FLOP/s per watt (2010-2024) [EPOCH-2030] times +8%/yr watts.
FLOPS = {q(2026, 1): 2.3e15, q(2026, 4): 3.3e15, q(2027, 4): 5.5e15, q(2028, 4): 9.0e15}
add("flops_per_accel", "FLOP/s",
    "NVIDIA H100 datasheet 989.4 TFLOP/s dense BF16 [NV-H100]; B200 2.25 / GB200 2.5 PFLOP/s "
    "dense BF16 (NVIDIA via Glenn Lockwood) [NV-B200]; GTC 2025 roadmap: Vera Rubin NVL144 1.2 "
    "EFLOP/s FP8, Rubin Ultra 100 PFLOP/s FP4 per package [NV-GTC2025]; Epoch AI (2024): "
    "FLOP/s per W +1.28x/yr [EPOCH-2030]",
    2025,
    "shipped-mix average (mix: assumption): 2.3e15 (2026Q1), 3.3e15 (2026Q4), 5.5e15 (2027Q4), "
    "9e15 (2028Q4), then +38%/yr = 1.28x FLOP/W x 1.08x W (assumption)",
    lambda t: grow(FLOPS, t, {(q(2029, 1), q(2035, 4)): 0.38}))

# IT power per accelerator (W), including its share of host CPUs, memory,
# network and fans (PUE is applied by the deploy node).  DGX H100: 10.2 kW
# for 8 H100 = 1,275 W per 700 W GPU (1.8x TDP) [NV-DGXH100]; Rubin ~1,800 W
# TDP [MIRRORFROG]; Rubin Ultra NVL576 racks ~600 kW for 144 packages =
# ~4.2 kW each [NV-GTC2025].  Mix (assumption): 1,800 W in 2026Q1 (B300-class
# 1,100-1,400 W TDP x ~1.4), 2,000 in 2026Q4, 2,500 end 2027, 3,300 end
# 2028, then +5%/yr (assumption).
WATTS = {q(2026, 1): 1800, q(2026, 4): 2000, q(2027, 4): 2500, q(2028, 4): 3300}
add("watts_per_accel", "W",
    "NVIDIA DGX H100: 10.2 kW max for 8 GPUs [NV-DGXH100]; H100 TDP 700 W [NV-H100]; Rubin "
    "TDP ~1,800 W (mirrorfrog.com, 2026) [MIRRORFROG]; Rubin Ultra NVL576 ~600 kW per rack "
    "(NVIDIA GTC 2025 via gpu.name) [NV-GTC2025]",
    2025,
    "IT watts per accelerator incl. host and network share, shipped mix (assumption): 1,800 "
    "(2026Q1), 2,000 (2026Q4), 2,500 (2027Q4), 3,300 (2028Q4), then +5%/yr (assumption)",
    lambda t: grow(WATTS, t, {(q(2029, 1), q(2035, 4)): 0.05}))

# ---- custom accelerators (ASICs) --------------------------------------------
# Share of the chain's accelerators that are custom: Google TPU, AWS
# Trainium, Meta MTIA, Microsoft Maia.  TrendForce counts ASIC servers at
# 26% of AI servers in 2024 [TF-ASIC-2024], 27.8% in 2026 (about 27% after
# Meta's and AWS's delays) [TF-ASIC-2026] and nearly 40% by 2030
# [TF-ASIC-2030]; Counterpoint expects more ASICs than data-centre GPUs by
# 2028 [COUNTERPOINT-ASIC-2026], by chips rather than servers (a TPU host
# has 4 chips, a GPU host 8).  The path takes TrendForce's server shares as
# its share of units (the lower of the two, and they include Chinese
# in-house chips that are not in this path): 27% (2026Q1) straight to 28%
# (2026Q4) and 40% (2030Q4), held after (assumption).
CUSTOM_UNITS = {q(2026, 1): 0.27, q(2026, 4): 0.28, q(2030, 4): 0.40}


# A custom accelerator is a smaller package than a merchant GPU: fewer HBM
# stacks (Ironwood 8, Trainium2 and 3 four, Maia 100 four, MTIA v2 none
# [GOOG-TPU] [AWS-TRN] [META-MTIA-2024]; ~6 in the 2026 mix, 8 by 2028, as
# the mix weights them [DIGITIMES-ASIC-2025]) and less interposer.  With
# HBM stacks as the measure of a package (the merchant mix in
# stacks_per_accel_inv: 7.5 -> 14), one merchant accelerator's worth of
# CoWoS, HBM and logic makes merchant / custom stacks custom ones: 1.25 in
# 2026.  Custom stacks after 2028: 8 -> 12 by 2035 (Broadcom's 3.5D
# platform takes up to 12; assumption).
def merchant_stacks(t):
    return lin({q(2026, 1): 7.5, q(2027, 1): 8, q(2028, 1): 10, q(2029, 1): 12,
                q(2030, 4): 12, q(2035, 4): 14}, t)


def custom_stacks(t):
    return lin({q(2026, 1): 6, q(2028, 4): 8, q(2035, 4): 12}, t)


def custom_per_merchant(t):
    return merchant_stacks(t) / custom_stacks(t)


def custom_capacity_share(units_share, t):
    """The share c of the chain's capacity that makes a units share u of
    custom accelerators, k of them per merchant one's capacity:
    u = c k / (c k + 1 - c), so c = u / (u + k (1 - u))."""
    k = custom_per_merchant(t)
    return units_share / (units_share + k * (1 - units_share))


CUSTOM_SRC = ("TrendForce (Jul 2024): ASIC servers 26% of AI servers in 2024 [TF-ASIC-2024]; "
              "TrendForce (Jan and Apr 2026): 27.8%, then ~27%, in 2026 [TF-ASIC-2026]; TrendForce "
              "(Mar 2026, via The Daily Scout): nearly 40% by 2030 [TF-ASIC-2030]; Counterpoint "
              "(Jan 2026): more ASICs than data-centre GPUs by 2028 [COUNTERPOINT-ASIC-2026]")
CUSTOM_NOTE = ("share of the chain's capacity (wafers, CoWoS, HBM) that makes custom accelerators, "
               "c = u / (u + k (1 - u)) for a units share u of 27% (2026Q1) straight to 28% "
               "(2026Q4) and 40% (2030Q4), then held (TrendForce's server shares, the lower bound "
               "of the published unit shares), and k = custom_per_merchant")
add("custom_share", "share", CUSTOM_SRC, 2026, CUSTOM_NOTE,
    lambda t: custom_capacity_share(lin(CUSTOM_UNITS, t), t))
add("merchant_share", "share", CUSTOM_SRC, 2026, "1 - custom_share (" + CUSTOM_NOTE + ")",
    lambda t: 1 - custom_capacity_share(lin(CUSTOM_UNITS, t), t))
add("custom_per_merchant", "accelerators/accelerator",
    "Google Cloud TPU docs: Ironwood 8 HBM3e stacks [GOOG-TPU]; AWS Neuron docs: Trainium2 and "
    "Trainium3 4 stacks [AWS-TRN]; Meta (Apr 2024): MTIA v2 LPDDR5, no HBM [META-MTIA-2024]; "
    "DIGITIMES (Dec 2025) unit mix [DIGITIMES-ASIC-2025]; the merchant mix of "
    "stacks_per_accel_inv [TF-HBM-2024] [NV-GTC2025]",
    2026,
    "custom accelerators one merchant accelerator's worth of the chain makes = merchant HBM "
    "stacks per accelerator / custom ones: custom 6 (2026Q1, the 2026 mix) -> 8 (2028Q4) -> 12 "
    "(2035Q4) (after 2026: assumption); HBM stacks stand for the package's CoWoS and logic too "
    "(assumption)",
    custom_per_merchant)

# Dense BF16 FLOP/s of the custom mix, counted as FP8 / 2 where the two
# differ (as for Rubin; Trainium3's BF16 is a quarter of its FP8, and FP8
# is what it trains in).  2026 units: Google 55%, AWS 30%, Meta 11%,
# Microsoft 4% (DIGITIMES 58/26/10/6 and brokers via UDN 49/35/15)
# [DIGITIMES-ASIC-2025]; Ironwood 2,307 TFLOP/s BF16 and v6e 918
# [GOOG-TPU]; Trainium2 667 (1,299 FP8), Trainium3 1,258 (2,517 FP8 / 2)
# [AWS-TRN]; MTIA v2 177 [META-MTIA-2024]; Maia 200 ~2,500 (over 5,000 FP8
# / 2) [MS-MAIA-2026].  Google 0.8 x 2,307 + 0.2 x 918 = 2,029; AWS half
# and half 963; Meta ~500 (MTIA v2 to v3, assumption); Microsoft 2,500:
# the mix 1.56e15 in 2026, 1.4e15 in 2026Q1 (less Ironwood).  Then a
# generation a year at ~1.5x (TPU 8t up to 2x Ironwood's FLOP/s per watt;
# Trainium4 3x Trainium3's FP8 [AWS-TRN]; assumption): 2.4e15 end 2027,
# 3.6e15 end 2028, then +38%/yr as the merchant mix.
CUSTOM_FLOPS = {q(2026, 1): 1.4e15, q(2026, 4): 1.6e15, q(2027, 4): 2.4e15, q(2028, 4): 3.6e15}
add("custom_flops_per_accel", "FLOP/s",
    "Google Cloud TPU docs: Ironwood (TPU7x) 2,307 TFLOP/s BF16, 4,614 FP8; v6e 918 [GOOG-TPU]; "
    "AWS Neuron docs: Trainium2 667 BF16 / 1,299 FP8, Trainium3 2,517 MXFP8 [AWS-TRN]; Meta (Apr "
    "2024): MTIA v2 177 [META-MTIA-2024]; Microsoft (Jan 2026): Maia 200 >5 PFLOP/s FP8 "
    "[MS-MAIA-2026]; DIGITIMES (Dec 2025): 2026 units Google 3.3M, AWS 1.5M, Meta 0.6M, Microsoft "
    "0.3M [DIGITIMES-ASIC-2025]",
    2026,
    "custom mix, dense BF16 or FP8 / 2: 1.4e15 (2026Q1), 1.6e15 (2026Q4; Google 55% at 2,029, "
    "AWS 30% at 963, Meta 11% at ~500, Microsoft 4% at 2,500 TFLOP/s), 2.4e15 (2027Q4), 3.6e15 "
    "(2028Q4: a generation a year at ~1.5x, assumption), then +38%/yr as flops_per_accel",
    lambda t: grow(CUSTOM_FLOPS, t, {(q(2029, 1), q(2035, 4)): 0.38}))

# IT watts per custom accelerator incl. host and network.  Google publishes
# no TPU power: an Ironwood pod of 9,216 chips draws ~10 MW at Hot Chips
# 2025, ~1,090 W each all in [HOTCHIPS-IRONWOOD-2025]; v6e ~500 W all in
# (assumption, from ~350 W chips); Trainium2 ~500 W chips (~800 W all in)
# and Trainium3 over 1,000 W (~1,400 W all in) [DCD-TRN3-2024]; MTIA v2 90
# W (~300 W all in) [META-MTIA-2024]; Maia 200 750 W (~1,100 W all in)
# [MS-MAIA-2026].  The 2026 mix: ~950 W; 900 W in 2026Q1; then +15%/yr to
# 2028 (liquid-cooled generations over 1 kW) and +5%/yr after, as the
# merchant mix (assumption).  FLOP/s per watt: about the merchant mix's
# (1.7e12 in 2026Q4 against 1.65e12; no maker has published a comparison).
CUSTOM_WATTS = {q(2026, 1): 900, q(2026, 4): 950, q(2027, 4): 1100, q(2028, 4): 1250}
add("custom_watts_per_accel", "W",
    "Hot Chips 2025 (via press coverage): an Ironwood pod of 9,216 chips ~10 MW "
    "[HOTCHIPS-IRONWOOD-2025]; DatacenterDynamics (Jul 2024): Trainium3 likely over 1 kW "
    "[DCD-TRN3-2024]; Meta (Apr 2024): MTIA v2 90 W [META-MTIA-2024]; Microsoft (Jan 2026): Maia "
    "200 750 W [MS-MAIA-2026]",
    2026,
    "IT watts per custom accelerator incl. host and network, 2026 mix weighted as "
    "custom_flops_per_accel: 900 (2026Q1), 950 (2026Q4), 1,100 (2027Q4), 1,250 (2028Q4), then "
    "+5%/yr as watts_per_accel (all after the pod figure: assumption)",
    lambda t: grow(CUSTOM_WATTS, t, {(q(2029, 1), q(2035, 4)): 0.05}))

# ---- power ----------------------------------------------------------------
# AI share of data-centre power capacity.  IEA: electricity use of
# accelerated servers +225% 2025-2030 (26.6%/yr), conventional +52%
# (8.7%/yr) [IEA-2025].  Start: the installed fleet (~12.5M accelerators x
# 1.3 kW IT x PUE 1.2 ~ 19.5 GW, consistent with Epoch's >10 GW of chip
# power [EPOCH-SALES-2026]) in ~116 GW of world capacity is 17%; with
# capacity built but not yet filled, 20%.  After 2030 (assumption): AI
# +15%/yr, other +5%/yr.
def ai_share(t):
    years = (t + 0.5) / 4
    y1 = min(years, 4.75)
    y2 = max(0.0, years - 4.75)
    a = 0.20 * 1.266 ** y1 * 1.15 ** y2
    c = 0.80 * 1.087 ** y1 * 1.05 ** y2
    return a / (a + c)


add("ai_power_share", "share",
    "IEA, 'Energy and AI' (Apr 2025): accelerated-server electricity +225% and conventional "
    "+52% from 2025 to 2030 (as charted by Statista) [IEA-2025]; start from Epoch AI chip sales "
    "(Jan 2026) >10 GW of chip power [EPOCH-SALES-2026]",
    2025,
    "a/(a+c): AI part a starts at 0.20 of capacity (derived: fleet draw ~19.5 GW of ~116 GW, "
    "plus unfilled halls) growing 26.6%/yr, the rest 8.7%/yr, to 2030Q4; then 15%/yr vs 5%/yr "
    "(assumption)",
    ai_share)

# Regional data-centre capacity paths (MW), the targets the grid-request
# series are built from.  Start (2026Q1): IEA 2024 electricity by region
# [IEA-2025] at the 50% average utilisation that Epoch reports (Dominion 60%,
# experts 40-50% [EPOCH-2030]) -- US 183 TWh -> 41.8 GW, China 102 -> 23.3,
# Europe 68 -> 15.5, Asia-Pacific ex-China + rest of world 63 -> 14.4 --
# grown 1.5 years at the growth rates below.  Growth to 2030: US 15%/yr,
# Epoch's central case (10-30% feasible; Goldman Sachs, EPRI) [EPOCH-2030];
# China 18.1%, Europe 8.8%, rest of world 12.8%/yr, IEA base case 2024-2030
# [IEA-2025].  2031-2035 (assumption): US 10% (Dominion's lower planning
# rate [EPOCH-2030]), China 10%, Europe 6%, rest 8%.
REGIONS = {
    #        2024 GW  growth to 2030  growth 2031-35  lead (quarters)
    "US":  (41.8, 0.15, 0.10, 16),
    "EU":  (15.5, 0.088, 0.06, 16),
    "CN":  (23.3, 0.181, 0.10, 8),
    "ROW": (14.4, 0.128, 0.08, 12),
}
LIFETIME = 100  # quarters; dc_power_* lifetime in params.csv


def capacity(region, t):
    """Capacity at the end of quarter t; t = -1 is the start of 2026, the
    initial stock of dc_power_<region>."""
    gw, g1, g2, _ = REGIONS[region]
    c = gw * 1e3 * (1 + g1) ** 1.5
    for k in range(0, t + 1):
        c *= (1 + (g1 if k <= q(2030, 4) else g2)) ** 0.25
    return c


def additions(region, t):
    """Gross additions that keep the capacity path: growth plus retirement."""
    return capacity(region, t) - capacity(region, t - 1) * (1 - 1 / LIFETIME)


# On-site (behind-the-meter) power: the share of the US capacity completed
# in a quarter that is generated on site.  ~13% of facilities used on-site
# generation as primary power in 2024 (Bloom Energy's survey, Jun 2025
# [BLOOM-2025]), and Cleanview's tracker had ~2 GW built in 18 months to
# early 2026 (~15% of US additions) [CLEANVIEW-2026]; 27% of facilities
# expect to be fully on site by 2030 [BLOOM-2025] and ~30% of planned US
# capacity plans it [CLEANVIEW-2026].  Planned is not built: 13% in 2026Q1
# rising in a straight line to 25% in 2030Q4, then held (assumption within
# those figures).  Other regions: no source, no on-site path (all grid).
ONSITE_SHARE = {q(2026, 1): 0.13, q(2030, 4): 0.25}
ONSITE_LEAD = 12  # quarters; onsite_power_US lead in params.csv


def onsite_share(region, k):
    """Share of the additions completing in quarter k that are on site."""
    return lin(ONSITE_SHARE, k) if region == "US" else 0.0


def additions_beyond(region, k):
    """additions(), extended beyond the horizon at the post-2030 rate."""
    if k < T:
        return additions(region, k)
    return additions(region, T - 1) * (1 + REGIONS[region][2]) ** ((k - T + 1) / 4)


def requests(region, t):
    """Grid connections requested in quarter t complete `lead` quarters
    later, as the grid's part of that quarter's additions."""
    k = t + REGIONS[region][3]
    return (1 - onsite_share(region, k)) * additions_beyond(region, k)


def onsite_requests(region, t):
    """On-site power started in quarter t runs ONSITE_LEAD quarters later,
    as the on-site part of that quarter's additions."""
    k = t + ONSITE_LEAD
    return onsite_share(region, k) * additions_beyond(region, k)


def history(region):
    """Before 2026 the delay node repeats one level: the mean of the grid's
    part of the first `lead` quarters' additions, requested before 2026."""
    lead = REGIONS[region][3]
    return sum((1 - onsite_share(region, k)) * additions(region, k) for k in range(lead)) / lead


def onsite_history(region):
    """The same for on-site power started before 2026."""
    return sum(onsite_share(region, k) * additions(region, k)
               for k in range(ONSITE_LEAD)) / ONSITE_LEAD


# Gas generation equipment for US data centres' own power (MW a quarter):
# world gas-turbine production capacity 60-70 GW a year in 2025 (Wood
# Mackenzie [WOODMAC-GT-2025]), 65 here; Mitsubishi, ~21% of awards (TD
# Cowen [TDCOWEN-2025]), doubles its capacity within two years from Aug 2025
# [MHI-2025], so ~80 GW a year from 2028 (straight line 2026Q1-2027Q4), then
# held (assumption: the makers expand with caution).  US data centres' share:
# the US is ~40% of Siemens Energy's turbine orders (Q1 FY2026
# [SIE-Q1FY26]) and data centres ~1/3 of GE Vernova's US gas sales (Dec
# 2025 [GEV-2025-12]): 0.4 x 1/3 = 13.3% of world output, counted as on
# site (reciprocating engines and fuel cells, not counted, are headroom).
TURBINES_GW_YEAR = {q(2026, 1): 65.0, q(2027, 4): 80.0}
TURBINE_DC_SHARE = 0.4 / 3


def turbines(t):
    return lin(TURBINES_GW_YEAR, t) * 1e3 / 4 * TURBINE_DC_SHARE


# The thermal limit.  Accelerators in racks well above 100 kW need liquid
# cooling: GB200 NVL72 draws ~120-140 kW a rack [NV-GB200-NVL72]
# [TF-GB200-RACK-2024], the Rubin generation is "100% liquid cooled"
# [NV-RUBIN-LIQUID], while air cooling reaches ~35-40 kW a rack
# [AIR-LIMIT-SE-2021] [AIR-LIMIT-STL-2026].
#
# needs_liquid: the share of a quarter's accelerators' watts that need
# liquid-cooled racks.  TrendForce: 47% of AI chips liquid-cooled in 2026
# [TF-TRENDS-2026] (10% penetration at the end of 2024 [TF-LIQUID-2024]);
# Rubin (from 2026H2) is all liquid [NV-RUBIN-LIQUID]; an air-cooled tail
# (8-GPU HGX boxes such as DGX B200 at 14.3 kW [NV-DGX-B200-AIR], inference
# cards, some ASICs) stays.  45% in 2026Q1 rising in straight lines to 70%
# in 2026Q4, 90% in 2027Q4 and 95% from 2028Q4 (assumption within these).
NEEDS_LIQUID = {q(2026, 1): 0.45, q(2026, 4): 0.70, q(2027, 4): 0.90, q(2028, 4): 0.95}
#
# liquid_ready: the share of AI power that can host liquid-cooled racks, a
# stock walked over the world's AI power path (the capacity paths below x
# ai_power_share): L[t] = L[t-1] + NEW_LIQUID x growth[t] + RETROFIT x
# air[t - RETROFIT_LEAD], air = P - L.
# - Start: ~2.1M Blackwell GPUs planned for 2025 in GB200 racks
#   [TF-SHIPMIX-2025], ~4.5 GW with hosts and PUE, in ~23 GW of AI power,
#   plus Google's liquid-cooled TPU pods: 25% (assumption within these).
# - New AI power built liquid-ready: every Microsoft design since Aug 2024
#   [MSFT-LIQUID-2024], Meta's 2022-23 redesign [META-REDESIGN-2022],
#   liquid "in most greenfield facilities" [DELLORO-2024A], cold plates in
#   over half of new high-performance halls in 2026 [MNM-COLDPLATE-2026]:
#   80% in 2026Q1 rising to 95% in 2028Q4 (assumption within these).
# - Retrofits: ~$2M a MW against ~$11M for a new liquid-cooled MW
#   [STL-RETROFIT-2026], so operators convert air halls as their air-cooled
#   fleets retire; no pace or lead time is published: 4% of the air-only
#   AI power a quarter starts a retrofit, ready 4 quarters later
#   (assumption; electrical switchgear alone takes up to 80 weeks
#   [GS-COST-AIDC]).
NEW_LIQUID = {q(2026, 1): 0.80, q(2028, 4): 0.95}
LIQUID_START, RETROFIT, RETROFIT_LEAD = 0.25, 0.04, 4


def world_ai_power(t):
    return sum(capacity(r, t) for r in REGIONS) * ai_share(max(t, 0))


def liquid_ready_path():
    """The share of the world's AI power that can host liquid-cooled racks,
    quarter by quarter (see above)."""
    p0 = world_ai_power(-1)
    liquid, air = [LIQUID_START * p0], [(1 - LIQUID_START) * p0]
    shares = []
    for t in range(T):
        p = world_ai_power(t)
        growth = max(0.0, p - world_ai_power(t - 1))
        started = air[max(0, len(air) - 1 - RETROFIT_LEAD)] * RETROFIT
        lq = min(p, liquid[-1] + lin(NEW_LIQUID, t) * growth + started)
        liquid.append(lq)
        air.append(p - lq)
        shares.append(lq / p)
    return shares


LIQUID_READY = liquid_ready_path()
LIQUID_SRC = ("TrendForce (Nov 2025): 47% of AI chips liquid-cooled in 2026 [TF-TRENDS-2026]; "
              "TrendForce (2025 plan): ~2.1M Blackwell GPUs in GB200 racks [TF-SHIPMIX-2025]; "
              "Microsoft, Meta, Dell'Oro, MarketsandMarkets on new builds [MSFT-LIQUID-2024] "
              "[META-REDESIGN-2022] [DELLORO-2024A] [MNM-COLDPLATE-2026]; STL Partners (May 2026) "
              "retrofit cost [STL-RETROFIT-2026]")
add("liquid_ready", "share", LIQUID_SRC, 2026,
    "derived (inputs/make_series.py): a stock of liquid-ready MW over the world AI power path; "
    "25% at the start, 80% -> 95% of new AI power built liquid-ready, 4% of air-only AI power a "
    "quarter retrofitted with a 4-quarter lead (assumptions within the sources)",
    lambda t: LIQUID_READY[t])
add("needs_liquid", "share",
    "TrendForce (Nov 2025): 47% of AI chips liquid-cooled in 2026 [TF-TRENDS-2026]; NVIDIA: the "
    "Rubin generation 100% liquid-cooled [NV-RUBIN-LIQUID]; DGX B200 air-cooled at 14.3 kW "
    "[NV-DGX-B200-AIR]",
    2026,
    "share of a quarter's accelerators' watts in racks that need liquid cooling: 45% (2026Q1), "
    "70% (2026Q4), 90% (2027Q4), 95% from 2028Q4, straight lines (assumption within the sources)",
    lambda t: lin(NEEDS_LIQUID, t))


GRID_SRC = {
    "US": "Epoch AI, 'Can AI scaling continue through 2030?' (2024), power section: ~40 GW US DC "
          "capacity, 15%/yr central growth (10-30% feasible) [EPOCH-2030]; IEA 'Energy and AI' "
          "(2025) 2024 US 183 TWh [IEA-2025]",
    "EU": "IEA, 'Energy and AI' (Apr 2025), base case by region (Graphic News chart): Europe 68 "
          "TWh (2024) -> 113 TWh (2030) [IEA-2025]",
    "CN": "IEA, 'Energy and AI' (Apr 2025), base case by region (Graphic News chart): China 102 "
          "TWh (2024) -> 277 TWh (2030) [IEA-2025]",
    "ROW": "IEA, 'Energy and AI' (Apr 2025), base case by region (Graphic News chart): Asia-Pacific "
           "ex-China 48 -> 101 TWh and rest of world 15 -> 29 TWh (2024 -> 2030) [IEA-2025]",
}

# Copper is a cost of building a MW, not a cap on it: ~27 t per MW
# [CDA-2024] at the LME price.  2025's average was 9,950 USD/t (quarterly
# LME averages 9,336 / 9,508 / 9,814 / 11,138) [FOCUS-CU-2025]; Goldman
# Sachs expects 10,500-11,400 in 2026 [GS-CU-2026].  Flat real 10,000 USD/t
# (assumption: no forward curve beyond 2026; the copper shock carries the
# swings).  The rest of a MW's construction cost (excluding IT): Cushman &
# Wakefield's US average of 11.7 M USD per MW of critical load
# [CW-DCCOST-2025] less its copper at 10,000 USD/t, 0.27 M.
COPPER_PRICE = 10000.0
DC_COST_OTHER = 11.7e6 - 27 * COPPER_PRICE

# PPA prices (USD/MWh), flat in real terms (assumption: no forward curve
# found; quarterly volatility is the ppa_price shock).  US: LevelTen Q4 2024
# North American market-averaged P25 blended index [LEVELTEN-Q4-2024].
# Europe: LevelTen Q2 2024 European solar PPA average EUR 62.83 = USD 68.35
# [LEVELTEN-EU-Q2-2024].  China and rest of world: no index found; the
# level only sets the reference of the price response (assumption).
PPA = {
    "US": (62.29, "LevelTen Energy, Q4 2024 North America PPA Price Index (pv-tech, 30 Jan 2025): "
                  "market-averaged P25 blended 62.29 USD/MWh [LEVELTEN-Q4-2024]", 2025,
           "flat real price (assumption); the index rose 7.7% y/y in 2024 and ~9% in 2025, which "
           "the ppa_price shock covers"),
    "EU": (68.35, "LevelTen Energy, Q2 2024 European PPA Price Index (via sunroverpv): solar PPA "
                  "average EUR 62.83 = USD 68.35/MWh [LEVELTEN-EU-Q2-2024]", 2024,
           "flat real price (assumption)"),
    "CN": (50, "assumption", 2025,
           "no PPA index found for China; 50 USD/MWh only sets the reference of the price "
           "response (the baseline is at the reference)"),
    "ROW": (70, "assumption", 2025,
            "no PPA index found for the rest of the world; 70 USD/MWh only sets the reference of "
            "the price response (the baseline is at the reference)"),
}

for r in ["US", "EU", "CN", "ROW"]:
    gw, g1, g2, lead = REGIONS[r]
    add(f"grid_requests_{r}", "MW/quarter", GRID_SRC[r], 2025,
        ("grid part (1 - on-site share) of " if r == "US" else "") +
        f"requests = gross additions {lead} quarters later on a capacity path from "
        f"{gw} GW (2024, at 50% utilisation) growing {g1:.1%}/yr to 2030 and {g2:.0%}/yr after "
        f"(post-2030 rate: assumption); additions include 1%/quarter retirement",
        lambda t, r=r: requests(r, t))
    price, src, year, note = PPA[r]
    add(f"ppa_price_{r}", "USD/MWh", src, year, note, lambda t, p=price: p)

add("onsite_requests_US", "MW/quarter",
    "Bloom Energy, 2025 Data Center Power Report: Mid-Year Pulse (17 Jun 2025): 13% of "
    "facilities on on-site primary power a year earlier, 27% fully on site by 2030 [BLOOM-2025]; "
    "Cleanview tracker (Feb 2026): ~30% of planned US capacity plans on-site power "
    "[CLEANVIEW-2026]", 2026,
    f"on-site part of the US gross additions {ONSITE_LEAD} quarters later: 13% (2026Q1) to 25% "
    "(2030Q4), then held (assumption within the survey and tracker); the grid requests are "
    "the rest",
    lambda t: onsite_requests("US", t))
add("turbines_US", "MW/quarter",
    "Wood Mackenzie (2025): world gas-turbine production 60-70 GW/yr [WOODMAC-GT-2025]; MHI (Aug "
    "2025) doubles capacity within 2 years [MHI-2025]; Siemens Energy Q1 FY2026: US 40% of "
    "turbine orders [SIE-Q1FY26]; GE Vernova (Dec 2025): data centres ~1/3 of US gas sales "
    "[GEV-2025-12]", 2026,
    "world output 65 GW/yr (2026Q1) to 80 GW/yr (2027Q4), then held (assumption), x 0.4 x 1/3 "
    "for US data centres, / 4 per quarter",
    turbines)


add("copper_price", "USD/t",
    "Focus Economics copper page (Jan 2026, via a mirror): LME quarterly averages 2025 9,336 / "
    "9,508 / 9,814 / 11,138 USD/t [FOCUS-CU-2025]; Goldman Sachs 2026 forecasts 10,500-11,400 "
    "USD/t [GS-CU-2026]", 2026,
    "2025 average 9,950 rounded; flat in real terms (assumption: no forward curve beyond 2026; "
    "the copper shock carries the swings)",
    lambda t: COPPER_PRICE)
add("dc_cost_other", "USD/MW",
    "Cushman & Wakefield, Data Center Development Cost Guide 2025 (US), pp. 8-9: 9.3-15.0 M USD "
    "per MW of critical load across 19 markets, average 11.7 M, excluding IT and land "
    "[CW-DCCOST-2025]", 2025,
    "11.7 M USD/MW less its copper (27 t/MW [CDA-2024] x 10,000 USD/t); flat in real terms "
    "(assumption; Turner & Townsend report 5.5% cost inflation in 2025 [TT-DCCI-2025])",
    lambda t: DC_COST_OTHER)


# ---- China's own chain (Huawei Ascend-class, SMIC logic, domestic HBM) ----
# Derived in inputs/chain-sources.md section 1 (gathered and checked on 1
# Dec 2026); the arithmetic of each series is in its note.  Logic and HBM
# caps meet in cn_accel (nodes.csv): HBM binds in every year of this
# central path, as SemiAnalysis says ("HBM is the bottleneck").
def cn_wafers(t):
    if t <= 7:  # Morgan Stanley: 11k wpm (2026Q1) to 18k wpm (2027Q4), x3 a quarter
        return 3 * (11000 + 1000 * t)
    if t <= 19:
        return 54000 * 1.33 ** ((t - 7) / 4)
    return cn_wafers(19) * 1.10 ** ((t - 19) / 4)


def cn_yield(t):
    if t <= 7:
        return 0.35 + 0.05 * t
    if t <= 19:
        return lin({7: 0.70, 19: 0.80}, t)
    return lin({19: 0.80, 39: 0.85}, t)


def cn_flops(t):
    return lin({0: 7.81e14, 7: 7.5e14, 11: 1.5e15, 15: 2.0e15}, t) if t <= 15 else \
        2.0e15 * 1.285 ** ((t - 15) / 4)


def cn_stacks_per_accel(t):
    return lin({0: 8, 3: 6, 6: 4, 7: 5, 11: 8}, t)


def cn_hbm(t):
    stockpile = 600000 if t <= 3 else 0
    wpm = 0 if t < 3 else lin({3: 5000, 11: 60000}, t) if t <= 11 else \
        60000 * 1.10 ** ((t - 11) / 4)
    return stockpile + wpm * 3 * lin({7: 30, 11: 20}, t)


add("cn_ai_wafers", "wafers/quarter",
    "Morgan Stanley (Sep 2025) via Wccftech: SMIC wafers for AI chips 7k wpm (2025), 13k (2026), "
    "18k (2027) [MS-ASCEND-2025]; SemiAnalysis (Sep 2025): SMIC advanced nodes 45k/60k/80k wpm "
    "[SEMIANALYSIS-ASCEND-2025]; Nikkei (Feb 2026): <20k wpm to ~100k in 1-2 years "
    "[NIKKEI-SMIC-2026]", 2026,
    "SMIC 7nm-class wafer starts for AI accelerators x 3 a quarter: 11k wpm (2026Q1) straight to "
    "18k (2027Q4, MS); then +33%/yr to 2030 and +10%/yr after (assumption: SemiAnalysis's 60k->80k "
    "growth held, then a DUV-only build-out slowing)",
    cn_wafers)
add("cn_packages_per_wafer", "accelerators/wafer",
    "Morgan Stanley (Sep 2025): 39 x 910C (78 x 910B) per 300 mm wafer, yield ~30% end 2025 and "
    "70% in 2027 [MS-ASCEND-2025]; FT (Feb 2025): 910C yield ~40% [FT-ASCEND-2025]; Reuters "
    "(Nov 2024): ~20% [REUTERS-ASCEND-2024]", 2025,
    "39 die pairs per wafer x die yield: 35% (2026Q1) +5 points a quarter to 70% (2027Q4), 80% "
    "(2030), 85% (2035) (after 2027: assumption); x sqrt(7.81e14 / FLOP/s each) from 2028: half of "
    "each generation's gain as more silicon per package, without an EUV shrink (assumption)",
    lambda t: 39 * cn_yield(t) * min(1.0, math.sqrt(7.81e14 / cn_flops(t))))
add("cn_hbm_stacks", "stacks/quarter",
    "SemiAnalysis (Sep 2025): ~13M HBM stacks entered China, Ascend ~300k in 2026 without new HBM "
    "[SEMIANALYSIS-ASCEND-2025]; MK via SemiWiki (Feb 2026): CXMT to put ~60k wafers/month into "
    "HBM3 [MK-CXMT-2026]; CXMT HBM3 mass production beyond H1 2026 [CXMT-SLIP-2025]", 2026,
    "stockpile: 2.4M stacks left at the start of 2026 (derived: ~300k 910C x 8) drawn evenly over "
    "2026; CXMT-class HBM from 5k wpm (2026Q4, assumption) straight to 60k (2028Q4), +10%/yr after "
    "(assumption), x 3 x stacks per wafer 30 (8-high; derived, yield assumed) falling to 20 "
    "(12-high) by 2028Q4 (assumption)",
    cn_hbm)
add("cn_stacks_per_accel_inv", "accelerators/stack",
    "SemiAnalysis (Apr 2025) via Tom's Hardware: 8 HBM2E stacks per 910C [SEMIANALYSIS-CM384-2025]; "
    "Huawei Connect 2025: 950PR 128 GB, 950DT 144 GB, 960 288 GB [HUAWEI-CONNECT-2025]", 2025,
    "1 / stacks per accelerator shipped: 8 (910C) -> 6 (2026Q4) -> 4 (950 family, 2027Q3) -> 8 "
    "(960/970 from 2028Q4); only the 910C's 8 is sourced, 4 and 8 later are assumptions",
    lambda t: 1 / cn_stacks_per_accel(t))
add("cn_flops_per_accel", "FLOP/s",
    "SemiAnalysis (Apr 2025): CloudMatrix 384 = 384 x 910C, ~300 PFLOP/s dense BF16 "
    "[SEMIANALYSIS-CM384-2025]; Huawei Connect 2025: 950 1 PFLOPS FP8, 960 2 PFLOPS FP8 (Q4 "
    "2027), 970 double the 960 (Q4 2028) [HUAWEI-CONNECT-2025]; Epoch AI (2024): +28-29%/yr "
    "[EPOCH-HW-2024]", 2025,
    "dense BF16 of the shipped mix: 910C 7.81e14; 950 5e14, 960 1e15, 970 2e15 (FP8 / 2, as for "
    "Rubin); 7.81e14 (2026Q1) -> 7.5e14 (2027Q4) -> 1.5e15 (2028Q4) -> 2.0e15 (2029Q4), then "
    "+28.5%/yr (assumption: the world per-chip trend without EUV; optimistic)",
    cn_flops)
add("cn_watts_per_accel", "W",
    "Capacity Media (28 Jul 2025): CloudMatrix 384 draws 559 kW [CAPACITY-CM384-2025]; "
    "SemiAnalysis (Apr 2025): 2.3-2.6x lower FLOP/W than GB200 NVL72 [SEMIANALYSIS-CM384-2025]",
    2025,
    "559 kW / 384 = 1,456 W per 910C incl. host, optics and network; held for the 950 family "
    "(assumption), +5%/yr from 2028 as watts_per_accel (assumption)",
    lambda t: 1456 if t <= 7 else 1456 * 1.05 ** ((t - 7) / 4))

def update_params(path):
    """Writes the values this file derives into params.csv: the initial
    data-centre capacity and the pre-2026 level of the grid-request delay.
    Only the value field of those rows changes: every other byte of the
    file (its quoting included) is kept."""
    derived = {}
    for r in REGIONS:
        derived[(f"dc_power_{r}", "initial")] = f"{capacity(r, -1):.0f}"
        derived[(f"interconnect_{r}", "history")] = f"{history(r):.0f}"
    derived[("onsite_power_US", "history")] = f"{onsite_history('US'):.0f}"
    with open(path, newline="") as f:
        lines = f.readlines()
    for i, line in enumerate(lines):
        node, param, rest = (line.split(",", 2) + ["", ""])[:3]
        if (node, param) in derived:
            lines[i] = f"{node},{param},{derived.pop((node, param))},{rest.split(',', 1)[1]}"
    if derived:
        raise SystemExit(f"params.csv lacks rows for {sorted(derived)}")
    with open(path, "w", newline="") as f:
        f.writelines(lines)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = os.path.join(here, "series.csv")
    with open(out, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["node", "period", "value", "unit", "source", "source_year", "note"])
        w.writerows(rows)
    update_params(os.path.join(here, "params.csv"))
    for r in REGIONS:
        print(f"{r}: dc_power initial {capacity(r, -1):.0f} MW, interconnect history "
              f"{history(r):.0f} MW/quarter, 2028Q4 {capacity(r, q(2028, 4)):.0f} MW, "
              f"2030Q4 {capacity(r, q(2030, 4)):.0f} MW")
    print(f"wrote {len(rows)} rows to {out}; updated derived rows of params.csv")


if __name__ == "__main__":
    main()
