declare global { namespace Express { interface Request { principal?: import('../plugins/contract').Principal } } } export {};
