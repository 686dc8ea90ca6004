// Principal ids of the example suite. mail and im use Microsoft's well-known ids for the roles
// they play (Exchange, Skype for Business), as a real suite's partners would expect.
module.exports = {
  mail: '00000002-0000-0ff1-ce00-000000000000',
  im: '00000004-0000-0ff1-ce00-000000000000',
  scheduler: '5c4f1d5e-8a2b-4c6d-9e0f-3a1b2c3d4e5f',
  crm: '7e8f9a0b-1c2d-4e3f-8a5b-6c7d8e9f0a1b',
  rogue: '9d0e1f2a-3b4c-4d5e-8f6a-7b8c9d0e1f2a',
  realm: 'contoso.com',
};
