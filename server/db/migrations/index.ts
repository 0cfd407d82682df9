import type { Migration } from '../migrate';
import { core0001 } from './0001_core';
import { outbox0002 } from './0002_outbox_claimable_index';
import { auth0003 } from './0003_auth_login_throttle';
import { secrets0004 } from './0004_secrets';
import { payouts0005 } from './0005_payouts';
import { outbox0006 } from './0006_outbox_claim_batch_index';
import { payouts0007 } from './0007_payout_line_conversion';
import { outbox0008 } from './0008_outbox_claim_fair_index';
import { auth0009 } from './0009_two_factor';
import { payments0010 } from './0010_payment_source';
import { sales0011 } from './0011_service_date';
import { sales0011TipLines } from './0011_tip_lines';
import { paymentMethods0012 } from './0012_payment_methods';
import { vouchers0013 } from './0013_vouchers';
import { sales0014 } from './0014_deposits';
import { payments0015CustomerCredit } from './0015_customer_credit';
import { refunds0017 } from './0017_live';
import { vouchers0020 } from './0020_voucher_life';

/** The host's migrations, in order. A new file adds itself here. */
export const coreMigrations: Migration[] = [core0001, outbox0002, auth0003, secrets0004, payouts0005, outbox0006, payouts0007, outbox0008, auth0009, payments0010, sales0011, sales0011TipLines, paymentMethods0012, vouchers0013, sales0014, payments0015CustomerCredit, refunds0017, vouchers0020];
