/* SPDX-License-Identifier: BSD-2-Clause */
/* The FEC policy (call_fec.h). */
#include "call_fec.h"

#include <math.h>
#include <stddef.h>

int call_fec_init(CallFec *fec, unsigned cap)
{
    if (!fec || cap > CALL_FEC_MAX_PERCENT)
        return -1;
    fec->cap = cap;
    fec->pooled_lost = fec->pooled_expected = 0.0;
    fec->filtered_loss = 0.0;
    fec->percentage = 0;
    return 0;
}

unsigned call_fec_percentage_for(double loss, unsigned cap)
{
    double percent;

    if (!(loss >= CALL_FEC_MIN_LOSS)) /* also NaN */
        return 0;
    percent = round(CALL_FEC_PER_LOSS * loss * 100.0);
    return percent >= cap ? cap : (unsigned)percent;
}

double call_fec_media_share(unsigned percentage)
{
    return 100.0 / (100.0 + percentage);
}

unsigned call_fec_on_report(CallFec *fec, unsigned fraction_lost, uint32_t packets_expected)
{
    double loss;

    if (fraction_lost > 255)
        return fec->percentage;
    if (packets_expected > 0) {
        fec->pooled_lost += fraction_lost / 256.0 * packets_expected;
        fec->pooled_expected += packets_expected;
        if (fec->pooled_expected < CALL_FEC_MIN_PACKETS)
            return fec->percentage;
        loss = fec->pooled_lost / fec->pooled_expected;
        fec->pooled_lost = fec->pooled_expected = 0.0;
    } else {
        loss = fraction_lost / 256.0;
    }
    /* Up at once, down slowly. */
    if (loss >= fec->filtered_loss)
        fec->filtered_loss = loss;
    else
        fec->filtered_loss = CALL_FEC_DECAY * fec->filtered_loss + (1.0 - CALL_FEC_DECAY) * loss;
    fec->percentage = call_fec_percentage_for(fec->filtered_loss, fec->cap);
    return fec->percentage;
}
