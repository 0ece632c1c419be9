//! What the pages of RECAP and IPEI share: the Anexo Único's cycle and the official documents of a
//! saved run. A third program of the decree would use these as they are and write only its own pages.

pub mod cycle;
pub mod documents;
