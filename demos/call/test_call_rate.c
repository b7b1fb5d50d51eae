/* SPDX-License-Identifier: BSD-2-Clause */
/* Check suite of the loss-based rate controller (call_rate.c), report by
 * report with a made-up clock. */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "call_rate.h"

#define MS 1000
#define S 1000000

/* RFC 3550's 8-bit fraction of a share of loss. */
static unsigned fraction(double loss)
{
    return (unsigned)lround(loss * 256.0);
}

START_TEST(test_init_validates)
{
    CallRate r;
    ck_assert_int_eq(call_rate_init(&r, 0, 10000, 5000), -1);
    ck_assert_int_eq(call_rate_init(&r, -1, 10000, 5000), -1);
    ck_assert_int_eq(call_rate_init(&r, 20000, 10000, 5000), -1);
    ck_assert_int_eq(call_rate_init(&r, 1000, INFINITY, 5000), -1);
    ck_assert_int_eq(call_rate_init(&r, 1000, 10000, NAN), -1);
    ck_assert_int_eq(call_rate_init(NULL, 1000, 10000, 5000), -1);
    /* The start is clamped into the bounds. */
    ck_assert_int_eq(call_rate_init(&r, 1000, 10000, 50000), 0);
    ck_assert_double_eq(call_rate_bps(&r), 10000);
    ck_assert_int_eq(call_rate_init(&r, 1000, 10000, 10), 0);
    ck_assert_double_eq(call_rate_bps(&r), 1000);
}
END_TEST

/* No loss: 8 % a second, compounding, up to the maximum and no further. */
START_TEST(test_increase_under_low_loss)
{
    CallRate r;
    ck_assert_int_eq(call_rate_init(&r, 2000, 100000, 50000), 0);
    /* The first report only starts the clock. */
    ck_assert_int_eq(call_rate_on_report(&r, 0, 0, 50, 0), CALL_RATE_INCREASE);
    ck_assert_double_eq(call_rate_bps(&r), 50000);
    ck_assert_int_eq(call_rate_on_report(&r, 1 * S, 0, 50, 0), CALL_RATE_INCREASE);
    ck_assert_double_eq_tol(call_rate_bps(&r), 54000, 1);
    /* Half a second: half the step. 1 % loss is still "low". */
    ck_assert_int_eq(call_rate_on_report(&r, 1500 * MS, fraction(0.01), 50, 0),
                     CALL_RATE_INCREASE);
    ck_assert_double_eq_tol(call_rate_bps(&r), 54000 * 1.04, 1);
    for (int i = 2; i < 60; i++)
        call_rate_on_report(&r, (int64_t)i * S, 0, 50, 0);
    ck_assert_double_eq(call_rate_bps(&r), 100000);
}
END_TEST

/* At a low rate the step is at least 1 kbit/s per second. */
START_TEST(test_increase_floor)
{
    CallRate r;
    ck_assert_int_eq(call_rate_init(&r, 1000, 100000, 2000), 0);
    call_rate_on_report(&r, 0, 0, 50, 0);
    call_rate_on_report(&r, 1 * S, 0, 50, 0);
    ck_assert_double_eq_tol(call_rate_bps(&r), 3000, 1);
}
END_TEST

/* A long silence counts as one second of growth, not a minute. */
START_TEST(test_increase_span_capped)
{
    CallRate r;
    ck_assert_int_eq(call_rate_init(&r, 1000, 1000000, 100000), 0);
    call_rate_on_report(&r, 0, 0, 50, 0);
    call_rate_on_report(&r, 60 * S, 0, 50, 0);
    ck_assert_double_eq_tol(call_rate_bps(&r), 108000, 1);
}
END_TEST

START_TEST(test_hold_between_2_and_10_percent)
{
    CallRate r;
    /* 8-bit fractions: 7/256, 13/256 and 25/256 (26/256 is over 10 %). */
    const double losses[] = { 0.025, 0.05, 0.097 };
    ck_assert_int_eq(call_rate_init(&r, 2000, 100000, 50000), 0);
    call_rate_on_report(&r, 0, 0, 50, 0);
    for (unsigned i = 0; i < sizeof(losses) / sizeof(losses[0]); i++) {
        ck_assert_int_eq(call_rate_on_report(&r, (int64_t)(i + 1) * S, fraction(losses[i]), 50,
                                             0),
                         CALL_RATE_HOLD);
        ck_assert_double_eq(call_rate_bps(&r), 50000);
    }
}
END_TEST

/* Over 10 %: rate * (1 - loss / 2), once per 300 ms + RTT, down to min. */
START_TEST(test_decrease_over_10_percent)
{
    CallRate r;
    ck_assert_int_eq(call_rate_init(&r, 10000, 100000, 100000), 0);
    ck_assert_int_eq(call_rate_on_report(&r, 0, fraction(0.25), 100, 100 * MS),
                     CALL_RATE_DECREASE);
    ck_assert_double_eq_tol(call_rate_bps(&r), 87500, 1);
    ck_assert_double_eq_tol(call_rate_loss(&r), 0.25, 0.002);
    /* 350 ms later: inside 300 ms + 100 ms RTT, the same congestion. */
    ck_assert_int_eq(call_rate_on_report(&r, 350 * MS, fraction(0.25), 100, 0), CALL_RATE_HOLD);
    ck_assert_double_eq_tol(call_rate_bps(&r), 87500, 1);
    /* 400 ms after the decrease: may decrease again. */
    ck_assert_int_eq(call_rate_on_report(&r, 400 * MS, fraction(0.5), 100, 0),
                     CALL_RATE_DECREASE);
    ck_assert_double_eq_tol(call_rate_bps(&r), 65625, 1);
    /* Total loss for a while: down to the minimum, never below. */
    for (int i = 1; i <= 20; i++)
        call_rate_on_report(&r, 400 * MS + (int64_t)i * S, 255, 100, 0);
    ck_assert_double_eq(call_rate_bps(&r), 10000);
}
END_TEST

/* Reports of fewer than 20 packets are pooled: 1 of 8 lost, three times,
 * is 3 of 24 (12.5 %), judged once the pool holds 20. */
START_TEST(test_small_reports_pooled)
{
    CallRate r;
    ck_assert_int_eq(call_rate_init(&r, 1000, 100000, 40000), 0);
    ck_assert_int_eq(call_rate_on_report(&r, 0, 32, 8, 0), CALL_RATE_NONE);
    ck_assert_int_eq(call_rate_on_report(&r, 500 * MS, 32, 8, 0), CALL_RATE_NONE);
    ck_assert_double_eq(call_rate_bps(&r), 40000);
    ck_assert_int_eq(call_rate_on_report(&r, 1 * S, 32, 8, 0), CALL_RATE_DECREASE);
    ck_assert_double_eq_tol(call_rate_loss(&r), 0.125, 1e-9);
    ck_assert_double_eq_tol(call_rate_bps(&r), 40000 * (1 - 0.0625), 1);
    /* Unknown counts: the fraction as it is. */
    ck_assert_int_eq(call_rate_on_report(&r, 2 * S, fraction(0.05), 0, 0), CALL_RATE_HOLD);
}
END_TEST

START_TEST(test_invalid_reports_ignored)
{
    CallRate r;
    ck_assert_int_eq(call_rate_init(&r, 1000, 100000, 40000), 0);
    ck_assert_int_eq(call_rate_on_report(&r, 5 * S, 0, 50, 0), CALL_RATE_INCREASE);
    ck_assert_int_eq(call_rate_on_report(&r, 4 * S, 255, 50, 0), CALL_RATE_NONE);
    ck_assert_int_eq(call_rate_on_report(&r, 6 * S, 256, 50, 0), CALL_RATE_NONE);
    ck_assert_int_eq(call_rate_on_report(&r, -1, 0, 50, 0), CALL_RATE_NONE);
    ck_assert_double_eq(call_rate_bps(&r), 40000);
    ck_assert_str_eq(call_rate_action_name(CALL_RATE_DECREASE), "decrease");
    ck_assert_str_eq(call_rate_action_name(CALL_RATE_NONE), "none");
}
END_TEST

/* A call: good, then 20 % loss for 5 s, then good again; the rate falls
 * at once and climbs back slowly, always within bounds. */
START_TEST(test_call_scenario)
{
    CallRate r;
    double before, worst;
    ck_assert_int_eq(call_rate_init(&r, 3000, 12000, 12000), 0);
    int64_t t = 0;
    for (; t < 5 * S; t += 500 * MS)
        call_rate_on_report(&r, t, 0, 25, 40 * MS);
    before = call_rate_bps(&r);
    ck_assert_double_eq(before, 12000);
    for (; t < 10 * S; t += 500 * MS)
        call_rate_on_report(&r, t, fraction(0.2), 25, 40 * MS);
    worst = call_rate_bps(&r);
    ck_assert_double_lt(worst, before * 0.5);
    ck_assert_double_ge(worst, 3000);
    for (; t < 15 * S; t += 500 * MS)
        call_rate_on_report(&r, t, 0, 25, 40 * MS);
    ck_assert_double_gt(call_rate_bps(&r), worst);
    for (; t < 60 * S; t += 500 * MS)
        call_rate_on_report(&r, t, 0, 25, 40 * MS);
    ck_assert_double_eq(call_rate_bps(&r), 12000);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("call_rate");
    TCase *tc = tcase_create("controller");
    SRunner *runner;
    int failed;

    tcase_add_test(tc, test_init_validates);
    tcase_add_test(tc, test_increase_under_low_loss);
    tcase_add_test(tc, test_increase_floor);
    tcase_add_test(tc, test_increase_span_capped);
    tcase_add_test(tc, test_hold_between_2_and_10_percent);
    tcase_add_test(tc, test_decrease_over_10_percent);
    tcase_add_test(tc, test_small_reports_pooled);
    tcase_add_test(tc, test_invalid_reports_ignored);
    tcase_add_test(tc, test_call_scenario);
    suite_add_tcase(s, tc);
    runner = srunner_create(s);
    srunner_run_all(runner, CK_NORMAL);
    failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
